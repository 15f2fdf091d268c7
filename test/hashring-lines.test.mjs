// The ring emulation of the affinity simulation (cli/ring-nginx.mjs, cli/ring-haproxy.mjs)
// against the real proxies of every release line: the same keys through
// nginx 1.22, 1.26 and 1.30 and HAProxy 2.6, 3.0, 3.2 and 3.4 running the
// example configs, each landing where the emulation says. Also what an
// upgrade between two lines moves, from the emulation over many accounts
// (once it agrees with each line) and measured on the sample.
import t from 'tap';
import { prepareNginx, prepareHaproxy, startProxy } from '../harness/proxies.mjs';
import { startBackends, exchange } from '../harness/backends.mjs';
import { LINES, haproxy34Missing, versions } from '../harness/lines.mjs';
import { random } from '../harness/inputs/generate.mjs';
import { NginxRing } from '../cli/ring-nginx.mjs';
import { HaproxyRing } from '../cli/ring-haproxy.mjs';

const SAMPLE = Number(process.env.JIDROUTE_RING_SAMPLE ?? 200);
const ACCOUNTS = 20000;
const rng = random(7622);
const jids = Array.from({ length: SAMPLE }, () => `user${Math.floor(rng.next() * 1e6)}@social${1 + Math.floor(rng.next() * 50)}.example`);
const header = (jid) => Buffer.from(`<?xml version='1.0'?><stream:stream from='${jid}' to='${jid.split('@')[1]}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
const NAMES = ['c2s-1', 'c2s-2', 'c2s-3'];

// Which emulation each HAProxy line should match: 3.0 until the fix
// "BUG/MAJOR: lb-chash: fix key calculation when using default hash-key id"
// (October 2025, not in Debian 13's 3.0.11) builds its ring differently.
const HAPROXY_MODES = { '2.6': 'id', '3.0': '3.0-unfixed', '3.2': 'id', '3.4': 'id' };

/** Where each sample key lands on the real proxy of `line`: backend names. */
async function throughProxy(kind, line) {
  const prepared = await (kind === 'nginx' ? prepareNginx : prepareHaproxy)();
  const backends = await startBackends(NAMES, [5301, 5302, 5303].map((p) => prepared.ports.get(p)));
  try {
    const proxy = await startProxy(prepared, { line });
    try {
      // HAProxy marks a server up after its first health check.
      if (kind === 'haproxy') await new Promise((r) => setTimeout(r, 500));
      const out = [];
      for (let i = 0; i < jids.length; i += 20) {
        out.push(...(await Promise.all(jids.slice(i, i + 20).map(async (jid) => (await exchange(proxy.port(5222), header(jid))).backend))));
      }
      return { placed: out, ports: [5301, 5302, 5303].map((p) => prepared.ports.get(p)) };
    } finally {
      await proxy.stop();
    }
  } finally {
    await Promise.all(backends.map((b) => b.close()));
  }
}

const skip34 = haproxy34Missing();
const seen = { nginx: [], haproxy: [] };
const pick = (kind) => {
  const byVersion = new Map();
  for (const [name, line] of Object.entries(LINES)) {
    if (kind === 'haproxy' && line.haproxy.build && skip34) continue;
    if (!byVersion.has(line[kind].want)) byVersion.set(line[kind].want, { name, ...line });
  }
  return byVersion;
};

if (skip34) t.comment(skip34);
for (const kind of ['nginx', 'haproxy']) {
  for (const [want, line] of pick(kind)) {
    t.test(`${kind} ${want} (line ${line.name}) places keys as the emulation does`, async (t) => {
      const found = await versions(line);
      const { placed, ports } = await throughProxy(kind, line);
      const ring = kind === 'nginx' ? new NginxRing(ports.map((p) => `127.0.0.1:${p}`)) : new HaproxyRing(3, { keyMode: HAPROXY_MODES[want] });
      const agree = jids.filter((jid, i) => placed[i] === NAMES[ring.place(jid)]).length;
      t.equal(agree, jids.length, `${kind} ${kind === 'nginx' ? found.nginx : found.haproxy}: ${agree}/${jids.length} keys where the emulation${kind === 'haproxy' ? ` (${HAPROXY_MODES[want]})` : ''} puts them`);
      seen[kind].push({ want, version: kind === 'nginx' ? found.nginx : found.haproxy, placed });
    });
  }
}

t.test('what an upgrade moves, per pair of lines', async (t) => {
  // nginx's ring is built from the servers' addresses, which the tests move:
  // agreement with one emulation on every line is what says nothing moves.
  t.ok(seen.nginx.length >= 1, `nginx lines checked: ${seen.nginx.map((s) => s.version).join(', ')} (same ring algorithm: an upgrade moves no account)`);
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => `user${i}@social${1 + (i % 50)}.example`);
  const lines = ['| HAProxy from → to | accounts moved (emulation, 20,000 accounts) | moved on the sample (real proxies) |', '|---|--:|--:|'];
  for (let a = 0; a < seen.haproxy.length; a++) {
    for (let b = a + 1; b < seen.haproxy.length; b++) {
      const [x, y] = [seen.haproxy[a], seen.haproxy[b]];
      const rx = new HaproxyRing(3, { keyMode: HAPROXY_MODES[x.want] });
      const ry = new HaproxyRing(3, { keyMode: HAPROXY_MODES[y.want] });
      const emulated = accounts.filter((jid) => rx.place(jid) !== ry.place(jid)).length / ACCOUNTS;
      const sampled = x.placed.filter((s, i) => s !== y.placed[i]).length / x.placed.length;
      lines.push(`| ${x.want} → ${y.want} | ${(emulated * 100).toFixed(1)}% | ${(sampled * 100).toFixed(1)}% |`);
      // The sample is small: a real difference and the emulation's agree
      // within a few keys.
      t.ok(Math.abs(emulated - sampled) < 0.1, `${x.version} → ${y.version}: ${(sampled * 100).toFixed(1)}% of the sample moved, emulation ${(emulated * 100).toFixed(1)}%`);
    }
  }
  for (const l of lines) t.comment(l);
});
