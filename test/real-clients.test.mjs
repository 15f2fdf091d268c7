// Real clients on every example path. The XMPP clients that install from
// Debian or npm — go-sendxmpp, sendxmpp (Perl), libstrophe, slixmpp,
// aioxmpp, xmpp.js — log in as two devices of one account and one of
// another, each device from its own loopback address, through every c2s path
// of the example configs of both proxies (test/lib/real-client-paths.mjs
// reads them from the files), in front of three non-clustered Prosody
// servers with Prosody's default SASL settings: Debian 12's 0.12, and
// Debian sid's 13 from a chroot (harness/lines.mjs makes it; one skip
// line when it cannot).
//
// For each client and path: every login succeeds with the SASL mechanism
// the same client uses without a proxy (measured first, straight to a
// server; read from Prosody's log by test/prosody/mod_log_sasl.lua), with no
// failed attempt before it (no fallback); the proxy keyed each device as
// the routing rule says for the header bytes it sent (captured on the way),
// devices with one key landed on one server (the servers' own logs agree),
// and exactly the messages between co-located devices arrived. The table of
// who sent what is written into docs/end-to-end.md by this run.
//
// Known failure, recorded as todo with its reason: a client that binds
// SCRAM-*-PLUS to its TLS session fails through a proxy that terminates TLS
// (the binding is to the proxy's session, the server checks its own).
import t from 'tap';
import { join } from 'node:path';
import { ROOT } from '../harness/proxies.mjs';
import { startProsody, prosodyVersion, prosodyLogs } from './lib/prosody.mjs';
import { makeStackPki, DOMAINS, PASSWORD } from './lib/e2e.mjs';
import { addressPool, freePort } from '../harness/procs.mjs';
import { CLIENTS, clientVersions } from './lib/real-clients.mjs';
import { SERVERS, examplePaths, startExampleProxy, runPath, runPathLogged, clientDevices, writeBetweenMarkers } from './lib/real-client-paths.mjs';
import { useRoot } from '../harness/lines.mjs';

t.setTimeout(Number(process.env.JIDROUTE_REAL_CLIENTS_TIMEOUT_MS ?? 1200000));
const started = Date.now();
const DOMAIN = DOMAINS[0];
const only = process.env.JIDROUTE_CLIENTS?.split(',');
const names = Object.keys(CLIENTS).filter((n) => !only || only.includes(n));
const versionsSeen = clientVersions();
const missing = names.filter((n) => !CLIENTS[n].available());
for (const n of missing) t.fail(`${n} is installed (scripts/setup.sh installs ${CLIENTS[n].package})`);
const clients = names.filter((n) => !missing.includes(n));

const pki = makeStackPki();
const accounts = [...new Map(clients.flatMap((n) => clientDevices(n, DOMAIN, PASSWORD, () => '127.0.0.1'))
  .map((d) => [d.account, { user: d.user, domain: d.domain, password: PASSWORD }])).values()];
const paths = examplePaths();
t.comment(`example paths: ${paths.map((p) => `${p.id} (${p.transport}, ${p.policy})`).join('; ')}`);
for (const l of examplePaths.skipped) t.comment(`listener not run (its servers are not the example's c2s or Direct TLS ports): ${l}`);
const proxyPaths = paths.filter((p) => !process.env.JIDROUTE_PATHS || process.env.JIDROUTE_PATHS.split(',').some((x) => p.id.includes(x)));

const servers = [{ label: `Prosody ${prosodyVersion()}`, root: null }];
let sidSkip = null;
if (process.env.JIDROUTE_SKIP_SID) sidSkip = 'JIDROUTE_SKIP_SID is set';
else {
  // The sid line's root (harness/lines.mjs), made when missing, mounted
  // for this process.
  try {
    const root = await useRoot('sid');
    servers.push({ label: `Prosody ${prosodyVersion(root)}`, root });
  } catch (e) {
    sidSkip = e.message.split('\n')[0];
  }
}

const bareOf = (jid) => jid.split('/')[0].toLowerCase();
/** A `from` that is an account of the `to` domain (core/key.ts streamRoute, simplified for these clients). */
const accountFrom = (from, to) => !!from && from.includes('@') && (!to || bareOf(from).split('@')[1] === to.toLowerCase());

/** What the proxy should have keyed a device on, from what it sent on this path. */
function expectedKey(path, d) {
  const addr = d.localAddress;
  if (path.transport === 'passthrough') {
    const sni = d.capture.tls?.sni;
    return path.policy === 'domain' && sni && !/^[\d.]+$/.test(sni) ? sni.toLowerCase() : addr;
  }
  // STARTTLS: the plaintext header the relay saw; terminated Direct TLS: the
  // decrypted header, as the proxy's log reports it.
  const from = path.transport === 'starttls' ? d.capture.header?.from : d.log?.from || null;
  const to = path.transport === 'starttls' ? d.capture.header?.to : d.log?.to || null;
  if (path.policy === 'domain') return to ? to.toLowerCase() : accountFrom(from, to) ? bareOf(from).split('@')[1] : addr;
  return accountFrom(from, to) ? bareOf(from) : addr;
}

const results = []; // { server, path, run }
const baseline = {}; // server label -> client -> transport -> { mechs, offered }

function clientSummary(run, name) {
  const devices = run.devices.filter((d) => d.client === name);
  const accts = new Set(devices.map((d) => d.account));
  const sessions = run.sessions.filter((s) => accts.has(s.user));
  const mechs = [...new Set(sessions.flatMap((s) => s.attempts.filter((a) => a.ok).map((a) => a.mech)))].sort();
  const failures = sessions.flatMap((s) => s.attempts.filter((a) => !a.ok).map((a) => `${a.mech}: ${a.why}`));
  const offered = [...new Set(sessions.flatMap((s) => s.offered ?? []))].sort();
  return { devices, sessions, mechs, failures, offered };
}

/** Why a failure is the known one: channel binding through a terminating
 * proxy. Only a client that failed or changed mechanism there, with -PLUS
 * implicated (it tried -PLUS, or the server offered -PLUS only through the
 * proxy), counts. */
function knownFailure(path, summary, base) {
  if (path.transport !== 'terminate') return null;
  const plus = (list) => list.some((m) => /-PLUS$/.test(m));
  const attemptedPlus = summary.failures.some((f) => /-PLUS:/.test(f) || /channel binding/i.test(f)) || plus(summary.mechs);
  const offeredPlusOnlyHere = plus(summary.offered) && !plus(base?.offered ?? []);
  const broken = summary.devices.some((d) => !d.ok) || JSON.stringify([...new Set(summary.failures)].sort()) !== JSON.stringify(base?.failures ?? [])
    || JSON.stringify(summary.mechs) !== JSON.stringify(base?.mechs ?? []);
  if (!broken || !(attemptedPlus || offeredPlusOnlyHere)) return null;
  return `channel binding does not survive TLS termination: through the proxy the server offered ${summary.offered.filter((m) => /-PLUS$/.test(m)).join(', ') || 'no -PLUS'}` +
    ` (without a proxy: ${(base?.offered ?? []).join(', ')})` +
    (summary.failures.length ? `; refused: ${[...new Set(summary.failures)].join('; ')}` : '') + `; logged in with ${summary.mechs.join(', ') || 'nothing'}`;
}

function checkPath(t, server, path, run) {
  t.comment(`${path.id}: ${run.timing}`);
  for (const name of clients) {
    const s = clientSummary(run, name);
    const base = baseline[server.label]?.[name]?.[path.client];
    const known = path.transport === 'none' ? null : knownFailure(path, s, base);
    const todo = known ? `known failure: ${known}` : false;
    const label = `${name} via ${path.id}`;
    const failed = s.devices.filter((d) => !d.ok).map((d) => `${d.id}: ${d.error}`);
    t.same(failed, [], `${label}: 3 of 3 devices logged in, bound and got their presence back`, { todo });
    const failures = [...new Set(s.failures)].sort();
    if (path.transport === 'none') {
      t.equal(s.mechs.length, 1, `${label}: one SASL mechanism without a proxy (${s.mechs.join(', ')})`);
      // A client and a server that disagree by themselves (no proxy here) are
      // recorded, not blamed on the proxy; the paths below must add nothing.
      t.same(failures, [], `${label}: no failed SASL attempt`, { todo: failures.length ? `without any proxy, ${name} and ${server.label} disagree: ${failures.join('; ')}` : false });
      if (failures.length) path.known = { ...path.known, [`${server.label}/${name}`]: `without any proxy: ${failures.join('; ')}; then ${s.mechs.join(', ')}` };
      continue;
    }
    t.same(s.mechs, base?.mechs ?? ['(no baseline)'], `${label}: SASL ${s.mechs.join(', ') || 'none'}, as without a proxy (${base?.mechs.join(', ')})`, { todo });
    t.same(failures, base?.failures ?? [], `${label}: no failed SASL attempt that it does not also make without a proxy (no fallback)`, { todo });
    const ok = s.devices.filter((d) => d.ok);
    // The key rule, for the bytes this device sent.
    const keys = ok.map((d) => ({ id: d.id, logged: d.log?.key ?? null, expected: expectedKey(path, d) }));
    t.same(keys.map((k) => k.logged), keys.map((k) => k.expected), `${label}: keyed by the routing rule (${[...new Set(ok.map((d) => d.log?.routeBy))].join(', ')})`, { todo: failed.length ? todo : false });
    const byKey = new Map();
    for (const d of ok) if (d.log && d.log.key !== d.localAddress) (byKey.get(d.log.key) ?? byKey.set(d.log.key, new Set()).get(d.log.key)).add(d.server);
    t.same([...byKey].filter(([, v]) => v.size > 1).map(([k, v]) => `${k}: ${[...v]}`), [], `${label}: devices with one key on one server`);
    // The servers' own logs (the full JID each session bound) agree with the proxy's log.
    t.same(ok.map((d) => d.boundOn), ok.map((d) => d.server), `${label}: the servers' logs agree with the proxy's on placement (${ok.map((d) => d.server).join(', ')})`);
    const msgs = run.messages.filter((m) => m.checked && m.from.startsWith(`${name}:`));
    if (CLIENTS[name].receives) {
      t.same(msgs.filter((m) => m.delivered).map((m) => m.token).sort(), msgs.filter((m) => m.coLocated).map((m) => m.token).sort(),
        `${label}: exactly the messages between co-located devices arrived (${msgs.filter((m) => m.delivered).length} of ${msgs.length})`, { todo: failed.length ? todo : false });
    }
    if (known) t.comment(`${label}: ${todo}`);
    path.known ??= {};
    if (known) path.known[`${server.label}/${name}`] = known;
  }
}

for (const server of servers) {
  await t.test(`${server.label}: real clients on every example path`, async (t) => {
    const ports = [];
    for (const s of SERVERS) ports.push({ name: s.name, ports: { c2s: await freePort(), directTls: await freePort() } });
    const prosody = await startProsody({ servers: ports, domains: DOMAINS, accounts, pki: pki.server, disableSasl: [], modules: ['log_sasl'], root: server.root });
    t.teardown(() => prosody.stop());
    t.teardown(() => { if (t.passing() === false) t.comment(prosodyLogs(prosody.servers).slice(-20000)); });
    const common = { clients, prosody, pki, domain: DOMAIN, password: PASSWORD };

    // Without a proxy first: the mechanism each client uses on its own.
    baseline[server.label] = {};
    for (const transport of ['starttls', 'directtls']) {
      const path = { id: `no proxy (${transport === 'starttls' ? 'STARTTLS' : 'Direct TLS'})`, transport: 'none', client: transport, policy: '-' };
      const run = await runPath({ ...common, target: prosody.servers[0].ports[transport === 'starttls' ? 'c2s' : 'directTls'], nextAddress: addressPool(0, 2), client: transport });
      for (const name of clients) {
        const s = clientSummary(run, name);
        (baseline[server.label][name] ??= {})[transport] = { mechs: s.mechs, offered: s.offered, failures: [...new Set(s.failures)].sort() };
      }
      results.push({ server: server.label, path, run });
      await t.test(path.id, async (t) => checkPath(t, server, path, run));
    }

    const configs = [...new Set(proxyPaths.map((p) => `${p.kind}|${p.config}`))];
    for (const c of configs) {
      const [kind, config] = c.split('|');
      const { proxy, serverOf } = await startExampleProxy(kind, config, prosody, pki);
      try {
        for (const path of proxyPaths.filter((p) => p.config === config)) {
          const run = await runPathLogged({ ...common, target: proxy.port(path.port), proxy, serverOf, nextAddress: addressPool(0, 2), client: path.client });
          results.push({ server: server.label, path, run });
          await t.test(`${path.id} (${path.transport}, ${path.policy} policy)`, async (t) => {
            checkPath(t, server, path, run);
            t.teardown(() => { if (t.passing() === false) t.comment(`${proxy.log()}\n${proxy.errors()}`); });
          });
        }
        // (Not [crit] SSL_shutdown() lines: nginx logs them when a client
        // closes its TLS connection abruptly. Not HAProxy's alert that the
        // s2s backend has no server: this test runs no s2s servers.)
        const errors = proxy.errors().split('\n').filter((l) => (proxy.kind === 'nginx'
          ? /js exception|jidroute:|\[alert\]|\[emerg\]/.test(l)
          : /jidroute:|lua.*error|runtime error/i.test(l) || (/\[ALERT\]/.test(l) && !/has no server available/.test(l))));
        t.same(errors, [], `${config}: no jidroute error, exception or alert in the proxy's log`);
      } finally {
        await proxy.stop();
      }
    }
  });
}
if (sidSkip) t.comment(`skip Prosody 13 (Debian sid): ${sidSkip}`);

// ---- the table of who sent what, into docs/end-to-end.md ----------------
const seconds = Math.round((Date.now() - started) / 1000);
const complete = !only && !process.env.JIDROUTE_PATHS && results.length > 0;
const cell = (v) => (v ? `\`${v}\`` : 'none');
function headerTable() {
  const first = servers[0].label;
  const of = (pred) => results.find((r) => r.server === first && pred(r.path));
  const plain = of((p) => p.transport === 'none' && p.client === 'starttls');
  const direct = of((p) => p.transport === 'none' && p.client === 'directtls');
  const terminated = of((p) => p.transport === 'terminate');
  const rows = clients.map((n) => {
    const dev = (run) => run?.run.devices.filter((d) => d.client === n && d.ok) ?? [];
    const values = (list, f) => [...new Set(list.map(f))].map(cell).join(', ') || '–';
    return `| ${CLIENTS[n].label} ${versionsSeen[n] ?? ''} | ${values(dev(plain), (d) => d.capture.header?.from)} | ${values(dev(plain), (d) => d.capture.header?.to)} | ` +
      `${values(dev(terminated), (d) => d.log?.from)} | ${values(dev(terminated), (d) => d.log?.to)} | ${values(dev(direct), (d) => d.capture.tls?.sni)} | ${values(dev(direct), (d) => d.capture.tls?.alpn)} |`;
  });
  return ['| client | `from` before STARTTLS | `to` before STARTTLS | `from` over Direct TLS (as the terminating proxy read it) | `to` over Direct TLS | SNI | ALPN |',
    '|---|---|---|---|---|---|---|', ...rows].join('\n');
}
function mechanismTable(server) {
  const runs = results.filter((r) => r.server === server.label);
  const head = `| client | ${runs.map((r) => r.path.id).join(' | ')} |`;
  const rows = clients.map((n) => `| ${CLIENTS[n].label} | ${runs.map((r) => {
    const s = clientSummary(r.run, n);
    const ok = s.devices.filter((d) => d.ok).length;
    const by = [...new Set(s.devices.filter((d) => d.log).map((d) => d.log.routeBy))].join('/');
    const known = r.path.known?.[`${server.label}/${n}`];
    const mark = known ? (r.path.transport === 'none' ? ' **fails without any proxy**' : ' **known failure**') : '';
    return `${s.mechs.join(', ') || '–'}${ok < 3 ? ` (${ok}/3 in)` : ''}${s.failures.length ? ` after failed ${[...new Set(s.failures.map((f) => f.split(':')[0]))].join(', ')}` : ''}${by ? `; by ${by}` : ''}${mark}`;
  }).join(' | ')} |`);
  return [head, `|---|${runs.map(() => '---').join('|')}|`, ...rows].join('\n');
}
if (complete) {
  const knownList = results.flatMap((r) => Object.entries(r.path.known ?? {}).filter(([k]) => k.startsWith(r.server)).map(([k, why]) => `- ${k.split('/')[1]} via ${r.path.id} (${k.split('/')[0]}): ${why}`));
  const body = [
    `Measured by \`test/real-clients.test.mjs\` (${new Date().toISOString().slice(0, 10)}, ${seconds} s): ${clients.map((n) => `${CLIENTS[n].label} ${versionsSeen[n]}`).join(', ')}; ${servers.map((s) => s.label).join(' and ')}${sidSkip ? ` (Prosody 13 not run: ${sidSkip})` : ''}, default SASL settings. Each device connected from its own loopback address through a byte-for-byte relay that recorded its first bytes (the header before STARTTLS, the TLS ClientHello); the Direct TLS header is what the terminating proxy logged (\`$xmpp_from\`/\`sess.xmpp_from\`: normalised, empty when not a JID). Every client was given 127.0.0.1 to connect to and its account's JID: clients that take SNI from the JID's domain send it, those that take it from the address they connect to (slixmpp, sendxmpp) send none for an IP address; xmpp.js sends the host name it connects to (here the domain, set by the test, test/lib/xmpp-client-child.mjs).`,
    '',
    '**Who sends what** (the same for every path and server):',
    '',
    headerTable(),
    '',
    ...servers.flatMap((s) => [`**SASL mechanism and what keyed the device** (\`by\`: \`$xmpp_route_by\`), ${s.label}:`, '', mechanismTable(s), '']),
    knownList.length ? '**Known failures** (recorded as such, not hidden; "without any proxy" is the client and the server alone):\n\n' + [...new Set(knownList)].join('\n') : '**Known failures**: none.',
  ].join('\n');
  writeBetweenMarkers(join(ROOT, 'docs/end-to-end.md'), 'real-clients', body);
  t.comment(`table written to docs/end-to-end.md (${seconds} s)`);
} else t.comment(`partial run (JIDROUTE_CLIENTS / JIDROUTE_PATHS): docs/end-to-end.md not written (${seconds} s)`);
