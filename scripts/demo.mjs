// npm run demo: what routing buys, with real parts. Three Prosody servers
// that are NOT clustered (each keeps its own sessions) behind nginx and
// behind HAProxy, and real xmpp.js clients: 2 tenant domains x 3 accounts x
// 2 devices, every device from a loopback address of its own. Each device
// writes one message to another device of its own account and one to a
// device of another account of its tenant. A message arrives only when
// sender and recipient sit on the same server.
//
// Routings, per proxy:
//   jidroute bare    the example config's 5222: an account's devices together
//   jidroute domain  the example config's 5322: a tenant's accounts together
//   round robin      the example config with its hash line replaced (made
//   source hash      here, see test/lib/variants.mjs; not configs to copy)
// The clients send `from` in their first stream header, as Smack, Dino and
// most IoT firmware do (xmpp.js with a one-line override, see
// test/lib/xmpp-client-child.mjs); xmpp.js as it is sends it only over
// Direct TLS (see docs/end-to-end.md).
import { rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { startClients, xmppjsVersion } from '../test/lib/xmpp-clients.mjs';
import { prosodyVersion } from '../test/lib/prosody.mjs';
import { BALANCING } from '../test/lib/variants.mjs';
import { makeStackPki, makeAccounts, startXmppStack, devicesFor, runTraffic, accountMessages, tenantMessages, spread, exampleServers } from '../test/lib/e2e.mjs';
import { addressPool } from '../harness/procs.mjs';

const SERVERS = exampleServers('c2s');
const ROUTINGS = [
  { name: 'jidroute bare', balancing: 'jidroute', listener: 5222 },
  { name: 'jidroute domain', balancing: 'jidroute', listener: 5322 },
  { name: 'round robin', balancing: 'round robin', listener: 5222 },
  { name: 'source hash', balancing: 'source hash', listener: 5222 },
];

const started = Date.now();
const dirs = [];
let current = null;
let clients = null;
async function cleanUp() {
  await current?.stop().catch(() => {});
  current = null;
  await clients?.close().catch(() => {});
  clients = null;
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => cleanUp().finally(() => process.exit(130)));

function version(cmd, args, pattern) {
  // nginx -v writes to stderr, haproxy -v to stdout.
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return pattern.exec(`${r.stdout ?? ''}${r.stderr ?? ''}`)?.[1] ?? '?';
}

const pki = makeStackPki();
dirs.push(pki.dir);
const accounts = makeAccounts(3, 2);
const rows = [];
try {
  clients = await startClients({ ca: pki.ca });
  for (const kind of ['nginx', 'haproxy']) {
    for (const routing of ROUTINGS) {
      current = await startXmppStack({ kind, pki, accounts, servers: SERVERS, edit: BALANCING[kind][routing.balancing] });
      dirs.push(current.prepared.dir, ...current.prosody.servers.map((s) => s.dir));
      const devices = devicesFor(accounts, {
        service: `xmpp://127.0.0.1:${current.proxy.port(routing.listener)}`, nextAddress: addressPool(0, 2), fromInFirstHeader: true,
      });
      const run = await runTraffic(current, clients, devices,
        (ds, connected) => [...accountMessages(ds, connected, 'own'), ...tenantMessages(ds, connected, 'tenant')], { waitMs: 4000 });
      await current.stop();
      current = null;
      const count = (prefix) => {
        const mine = run.results.filter((r) => r.token.startsWith(prefix));
        return `${mine.filter((r) => r.delivered).length}/${mine.length}`;
      };
      const split = (key) => {
        const groups = Object.values(spread(run.devices, key));
        return `${groups.filter((s) => s.length > 1).length}/${groups.length}`;
      };
      const failed = run.connected.filter((c) => !c.ok).length;
      rows.push({
        proxy: kind,
        routing: routing.name,
        'accounts split': split((d) => d.account),
        'tenants split': split((d) => d.domain),
        'to own devices': count('own'),
        'to own tenant': count('tenant'),
        delivered: `${run.results.filter((r) => r.delivered).length}/${run.results.length}`,
        ...(failed ? { 'not connected': failed } : {}),
      });
    }
  }
} finally {
  await cleanUp();
}

const columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
const width = Object.fromEntries(columns.map((c) => [c, Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length))]));
const line = (r) => columns.map((c) => String(r[c] ?? '').padEnd(width[c])).join('  ').trimEnd();
console.log(`3 Prosody servers, not clustered; ${accounts.length} accounts in 2 tenant domains, 2 devices each, every device from its own address.`);
console.log('Each device writes to another device of its account and to a device of another account of its tenant.\n');
console.log(line(Object.fromEntries(columns.map((c) => [c, c]))));
console.log(columns.map((c) => '-'.repeat(width[c])).join('  '));
for (const r of rows) console.log(line(r));
console.log(`
split: accounts (or tenants) whose devices landed on more than one server.
A message arrives only when sender and recipient are on the same server;
the others bounce (service-unavailable) or reach another device of the account.
bare keeps every account together; domain keeps every tenant together.
Prosody ${prosodyVersion()}, xmpp.js ${xmppjsVersion()}, nginx ${version('nginx', ['-v'], /nginx\/(\S+)/)}, ` +
  `HAProxy ${version('haproxy', ['-v'], /version (\d[^\s-]*)/)}; ${((Date.now() - started) / 1000).toFixed(1)} s.`);
