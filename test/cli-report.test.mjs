// jidroute report, on the logs the real proxies wrote: every count equals
// what the test sent (route_by, stream, per backend, hottest keys), the
// accounts seen on two backends are exactly the ones that were, each with its
// likely cause; unknown route_by and stream values are counted; a line of
// another format stops it with the file and line (exit 2).
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { NginxRing } from '../cli/ring-nginx.mjs';
import { HaproxyRing, formulaFor } from '../cli/ring-haproxy.mjs';
import { sampleJids, startBackendStack, sendAll, header, domainOf, cliJson, runCli, haproxyVersionHere, waitForLogLines } from './lib/cli.mjs';
import { tempDir } from '../harness/procs.mjs';

const HAPROXY_HERE = haproxyVersionHere();

const JIDS = sampleJids(220, 56);
const SPLIT = 'split.me@example.com';

/** A client address the proxy's ring sends elsewhere than SPLIT's key. */
function addressAwayFrom(kind, stack) {
  const ring = kind === 'nginx'
    ? new NginxRing(stack.ports.slice(0, 3).map((p) => `127.0.0.1:${p}`))
    : new HaproxyRing(3, { formula: formulaFor(HAPROXY_HERE).formula });
  const target = ring.place(SPLIT);
  for (let i = 1; i < 250; i++) {
    const address = `127.0.3.${i}`;
    if (ring.place(address) !== target) return address;
  }
  throw new Error('no address found');
}

const s2sHeader = (to) => Buffer.from(`<?xml version='1.0'?><stream:stream to='${to}' from='peer.example' xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);

for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind}: report on the proxy's own log`, async (t) => {
    // The report must count every connection, and HAProxy may drop a log
    // line under load (harness/proxies.mjs droppedLogs): a run whose missing
    // lines it counts as dropped is done again, with a fresh proxy, at most
    // three runs in all.
    for (let run = 1; run <= 3; run++) {
      const dropped = await reportRun(t, kind);
      if (!dropped) return;
      t.comment(`run ${run}: HAProxy dropped ${dropped} log lines; the run starts again`);
    }
    t.fail('HAProxy dropped log lines in three runs');
  });
}

/** One run of the report test; what HAProxy dropped (0: the run is whole). */
async function reportRun(t, kind) {
  const stack = await startBackendStack(kind, { s2s: true });
  try {
    const away = addressAwayFrom(kind, stack);
    // startProxy's probe (a connection closed at once) is logged too.
    await waitForLogLines(stack, 1);
    const baseline = stack.proxy.log().split('\n').filter((l) => / key=/.test(l)).length;
    const log = kind === 'nginx' ? stack.prepared.accessLog : stack.proxy.proc.file;
    // What the probe added: taken off the report of the whole log below.
    const base = await cliJson(['report', log, '--config', stack.prepared.conf]);
    const minus = (o, b) => {
      const x = { ...o };
      for (const [k, v] of Object.entries(b)) { x[k] = (x[k] || 0) - (typeof v === 'number' ? v : v.connections); if (!x[k]) delete x[k]; }
      return x;
    };
    const items = [
      ...JIDS.map((j) => ({ port: stack.c2s, bytes: header(j, domainOf(j)), what: 'bare' })),
      ...JIDS.map((j) => ({ port: stack.tenants, bytes: header(j, domainOf(j)), what: 'domain' })),
      ...Array.from({ length: 20 }, (_, i) => ({ port: stack.c2s, bytes: header(null, 'example.com'), localAddress: `127.0.1.${i + 1}`, what: 'no-from' })),
      ...Array.from({ length: 10 }, (_, i) => ({ port: stack.c2s, bytes: Buffer.from('GET / HTTP/1.0\r\n\r\n'), localAddress: `127.0.2.${i + 1}`, what: 'http' })),
      ...['a.example', 'b.example', 'c.example', 'd.example', 'e.example'].map((d) => ({ port: stack.s2s, bytes: s2sHeader(d), what: 's2s' })),
      // One account, two devices behind one address: one sends from, the
      // other (before STARTTLS) does not.
      { port: stack.c2s, bytes: header(SPLIT, 'example.com'), localAddress: away, what: 'split-from' },
      { port: stack.c2s, bytes: header(null, 'example.com'), localAddress: away, what: 'split-nofrom' },
    ];
    const got = await sendAll(items);
    t.equal(got.filter(Boolean).length, items.length, `all ${items.length} connections reached a backend`);
    try {
      await waitForLogLines(stack, baseline + items.length);
    } catch (e) {
      // Again only if HAProxy counts at least as many dropped as are missing.
      const present = stack.proxy.log().split('\n').filter((l) => / key=/.test(l)).length;
      const dropped = await stack.proxy.droppedLogs();
      if (dropped && dropped >= baseline + items.length - present) return dropped;
      throw new Error(`${e.message}: ${present} of ${baseline + items.length}, ${dropped} dropped`);
    }
    const r = await cliJson(['report', log, '--config', stack.prepared.conf, '--top', '5']);

    t.equal(r.connections, baseline + items.length, `connections: as many as sent (and ${baseline} probe)`);
    t.same(minus(r.byRouteBy, base.byRouteBy), { from: 221, to: 225, addr: 31 }, 'route_by: from 220+1, to 220+5 (s2s), addr 20+10+1');
    t.same(minus(r.byStream, base.byStream), { client: 462, 'not-xml': 10, server: 5 }, 'stream: client, not-xml, server');
    t.same(minus(r.fellBackToAddress, base.fellBackToAddress), { client: 21, 'not-xml': 10 }, 'routed by address: the from-less clients and the HTTP requests');

    // Per backend: what the test saw the backends receive.
    const seen = {};
    for (const b of got) seen[b] = (seen[b] || 0) + 1;
    const fromReport = {};
    const counts = (b) => Object.fromEntries(Object.entries(b).map(([k, v]) => [k, v.connections]));
    for (const [label, x] of Object.entries(minus(counts(r.backends), counts(base.backends)))) {
      const name = kind === 'nginx' ? stack.nameOfAddress(label) : { s1: 0, s2: 1, s3: 2 }[label.split('/')[1]] !== undefined
        ? (label.startsWith('xmpp_s2s') ? 's' : 'b') + { s1: 0, s2: 1, s3: 2 }[label.split('/')[1]] : label;
      fromReport[name] = x;
    }
    t.same(fromReport, seen, 'per backend: the connections each backend received');

    // Hottest keys: each count is the number of connections sent with that key.
    const keyJson = await cliJson(['where', '-', '--config', stack.prepared.conf, ...(kind === 'haproxy' ? ['--haproxy-version', HAPROXY_HERE] : [])], { input: JIDS.join('\n') + '\n' });
    const expected = new Map();
    const add = (k) => expected.set(k, (expected.get(k) || 0) + 1);
    for (const x of keyJson.results) add(x.key);
    for (let i = 1; i <= 20; i++) add(`127.0.1.${i}`);
    for (let i = 1; i <= 10; i++) add(`127.0.2.${i}`);
    for (const d of ['a.example', 'b.example', 'c.example', 'd.example', 'e.example']) add(d);
    add(SPLIT);
    add(away);
    const max = Math.max(...expected.values());
    t.equal(r.hottestKeys[0].connections, max, `the hottest key has the most connections sent (${max})`);
    t.ok(r.hottestKeys.every((k) => expected.get(k.key) === k.connections), 'every hot key: as many connections as sent with it');

    // Co-location: the accounts whose bare and domain connections landed apart, and SPLIT.
    const apart = JIDS.filter((_, i) => got[i] !== got[JIDS.length + i]).length;
    const co = r.colocation;
    t.equal(co.accountsSplit, apart + 1, `accounts on more than one backend: the ${apart} sent through both listeners that landed apart, and ${SPLIT}`);
    const split = co.splitAccounts.find((a) => a.account === SPLIT);
    t.ok(split, `${SPLIT} is listed`);
    t.match(split && split.causes.join(' '), /routed by address: no from before STARTTLS/, 'its likely cause: a device routed by address');
    const both = co.splitAccounts.find((a) => a.account !== SPLIT);
    if (apart) t.match(both.causes.join(' '), /also connected through a domain-policy listener/, 'the others: connected through listeners of both policies');
    t.ok(co.splitAccounts.filter((a) => a.account !== SPLIT).every((a) => a.kinds.join() === 'both-policies'), 'no other cause for them');
    t.same(co.causes, { 'both-policies': apart, 'no-from': 1 }, 'causes counted');
    t.equal(co.tenantDomainsSplit, 0, 'no tenant domain on two backends');
    t.equal(co.clientConnectionsWithoutFrom, 21, 'client connections without from');

    // Text output: the same figures in tables.
    const text = await runCli(['report', log, '--config', stack.prepared.conf]);
    t.equal(text.status, 0);
    t.match(text.stdout, new RegExp(`^${baseline + items.length} connections`), 'text: the total first');
    t.match(text.stdout, /co-location: \d+ of \d+ accounts seen on more than one backend/);

    // The same log gzipped, and with lines of a newer jidroute (route_by sni).
    const dir = tempDir('jidroute-report-');
    writeFileSync(join(dir, 'log.gz'), gzipSync(readFileSync(log)));
    const gz = await cliJson(['report', join(dir, 'log.gz'), '--config', stack.prepared.conf]);
    t.equal(gz.connections, baseline + items.length, '.gz: the same count');
    const lines = readFileSync(log, 'utf8').split('\n').filter((l) => / key=/.test(l));
    const sni = lines[0].replace(/by=\S*/, 'by=sni').replace(/stream=\S*/, 'stream=tls-client');
    writeFileSync(join(dir, 'sni.log'), [...lines, sni].join('\n') + '\n');
    const s = await cliJson(['report', join(dir, 'sni.log'), '--config', stack.prepared.conf]);
    t.equal(s.byRouteBy.sni, 1, 'an unknown route_by is counted');
    t.equal(s.byStream['tls-client'], 1, 'an unknown stream is counted');

    // HAProxy's own events through a raw log target are skipped, counted.
    if (kind === 'haproxy') {
      const events = ['Server xmpp_c2s/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused", check duration: 0ms. 2 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.',
        'backend xmpp_c2s has no server available!', 'Proxy xmpp_bare started.'];
      writeFileSync(join(dir, 'events.log'), [...events, ...lines].join('\n') + '\n');
      const e = await cliJson(['report', join(dir, 'events.log'), '--config', stack.prepared.conf]);
      t.equal(e.proxyMessagesSkipped, events.length, 'HAProxy events (Server ... is DOWN) are skipped and counted');
      t.equal(e.connections, lines.length, 'and every connection line is read');
    }

    // A line of another format: one line naming file and line, exit 2.
    writeFileSync(join(dir, 'bad.log'), [...lines.slice(0, 3), 'this is not an access-log line', ...lines.slice(3)].join('\n'));
    const bad = await runCli(['report', join(dir, 'bad.log'), '--config', stack.prepared.conf]);
    t.equal(bad.status, 2, 'another format: exit 2');
    t.match(bad.stderr, new RegExp(`^jidroute: ${join(dir, 'bad.log').replace(/[.]/g, '\\.')}:4: not a jidroute access-log line`), 'names the file and line');
    t.equal(bad.stderr.trim().split('\n').length, 1, 'in one line');
  } finally {
    await stack.stop();
  }
  return 0;
}

t.test('report: an error log is not an access log', async (t) => {
  const dir = tempDir('jidroute-report-');
  writeFileSync(join(dir, 'error.log'), '2026/12/01 20:00:00 [notice] 123#123: signal process started\n');
  const r = await runCli(['report', join(dir, 'error.log')]);
  t.equal(r.status, 2);
  t.match(r.stderr, /error\.log:1: not a jidroute access-log line/);
  const missing = await runCli(['report', join(dir, 'nope.log')]);
  t.equal(missing.status, 2);
  t.match(missing.stderr, /nope\.log: cannot read: ENOENT/);
});
