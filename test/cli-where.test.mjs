// jidroute where, against the real proxies: a sample of accounts (both
// policies, ASCII and non-ASCII) sent through nginx and HAProxy with the
// example configs lands exactly where `jidroute where` says, with the
// servers as written, with one server down and with weights. And stateless
// scale-out: two instances of one proxy with one config place every key alike.
import t from 'tap';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProxy } from '../harness/proxies.mjs';
import { tempDir } from '../harness/procs.mjs';
import { sampleJids, startBackendStack, placeSample, predict, editServers, addParam, haproxyVersionHere, otherLines, runCli, sendAll, header, domainOf } from './lib/cli.mjs';
import { clientHello } from '../cli/tls-hello.mjs';

const JIDS = sampleJids(220);
const HAPROXY = haproxyVersionHere();
const versionArgs = (kind) => (kind === 'haproxy' ? ['--haproxy-version', HAPROXY] : []);

const VARIANTS = [
  { name: 'as in the example', edit: (t) => t },
  { name: 'second server down', edit: (t, kind) => editServers(t, kind, 'xmpp_c2s', (l, i) => (i === 1 ? addParam(kind, kind === 'nginx' ? 'down' : 'disabled')(l) : l)) },
  { name: 'weights 1, 3, 2', edit: (t, kind) => editServers(t, kind, 'xmpp_c2s', (l, i) => (i === 0 ? l : addParam(kind, kind === 'nginx' ? `weight=${[1, 3, 2][i]}` : `weight ${[1, 3, 2][i]}`)(l))) },
  // HAProxy 3.0+: the ring from the servers' addresses instead of their ids.
  { name: 'hash-key addr-port', only: (kind) => kind === 'haproxy' && Number(HAPROXY.split('.')[0]) >= 3, edit: (t, kind) => editServers(t, kind, 'xmpp_c2s', addParam(kind, 'hash-key addr-port')) },
  // All three on 127.0.0.1: one ring position for all (where says so).
  { name: 'hash-key addr', sameNodes: true, only: (kind) => kind === 'haproxy' && Number(HAPROXY.split('.')[0]) >= 3, edit: (t, kind) => editServers(t, kind, 'xmpp_c2s', addParam(kind, 'hash-key addr')) },
];

const agreeing = (a, b) => a.filter((x, i) => x === b[i]).length;

for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind}: where predicts the real proxy for ${JIDS.length} accounts`, async (t) => {
    for (const v of VARIANTS) {
      if (v.only && !v.only(kind)) continue;
      const stack = await startBackendStack(kind, { edit: (text) => v.edit(text, kind) });
      try {
        const got = await placeSample(stack, JIDS);
        const want = await predict(stack, JIDS, versionArgs(kind));
        t.equal(got.bare.filter(Boolean).length, JIDS.length, `${v.name}: every bare-policy connection reached a backend`);
        t.equal(agreeing(got.bare, want.bare), JIDS.length, `${v.name}: bare policy, where agrees for every account`);
        t.equal(agreeing(got.domain, want.domain), JIDS.length, `${v.name}: domain policy, where agrees for every account`);
        const used = new Set(got.bare);
        if (v.name.includes('down')) t.notOk(used.has('b1'), `${v.name}: nothing lands on the server that is down`);
        else if (v.sameNodes) t.match(want.json.configs[0].describe, /share one address/, `${v.name}: where warns that the servers share one address`);
        else t.equal(used.size, 3, `${v.name}: the sample lands on all three servers`);
        t.ok(want.json.results.every((r) => r.routeBy === (r.policy === 'bare' ? 'from' : 'to')), `${v.name}: keyed on from (bare) and to (domain)`);
      } finally {
        await stack.stop();
      }
    }
  });

  t.test(`${kind}: two instances with one config place every key alike`, async (t) => {
    const a = await startBackendStack(kind);
    const dir = tempDir(`jidroute-${kind}-second-`);
    let b;
    try {
      // The second proxy: the same file, listening on another loopback
      // address (another host behind DNS or anycast); logs and pid in its own folder.
      const text = readFileSync(a.prepared.conf, 'utf8').replace(/^(\s*(?:listen|bind)\s+)127\.0\.0\.1:/gm, '$1127.0.0.2:');
      const conf = join(dir, kind === 'nginx' ? 'nginx.conf' : 'haproxy.cfg');
      writeFileSync(conf, text);
      if (kind === 'nginx') mkdirSync(join(dir, 'logs'));
      const second = {
        kind, dir, conf, ports: a.prepared.ports, accessLog: join(dir, 'logs/xmpp.log'), errorLog: join(dir, 'logs/error.log'),
        command: kind === 'nginx' ? ['nginx', ['-p', dir, '-c', conf, '-g', 'daemon off;']] : ['haproxy', ['-W', '-db', '-f', conf]],
      };
      const proxy = await startProxy(second, { waitPort: a.c2s, waitHost: '127.0.0.2' });
      b = { ...a, host: '127.0.0.2', proxy };
      const one = await placeSample(a, JIDS);
      const two = await placeSample(b, JIDS);
      t.equal(agreeing(one.bare, two.bare), JIDS.length, 'bare policy: both instances choose the same server for every account');
      t.equal(agreeing(one.domain, two.domain), JIDS.length, 'domain policy: the same for every tenant');
      t.equal(two.bare.filter(Boolean).length, JIDS.length, 'the second instance reached a backend every time');
      const want = await predict(a, JIDS, versionArgs(kind));
      t.equal(agreeing(two.bare, want.bare), JIDS.length, 'and where predicts both');
    } finally {
      if (b) await b.proxy.stop();
      await a.stop();
    }
  });
}

// The other rows of the version matrix that are ready here (the sid lines:
// nginx 1.30 with njs and with QuickJS, HAProxy 3.2 and 3.4): the example
// configs as they are, both policies, every account.
for (const target of otherLines(['sid', 'sid-qjs'])) {
  for (const kind of ['nginx', 'haproxy']) {
    t.test(`${kind} of the ${target.name} line: where predicts it for ${JIDS.length} accounts`, { skip: target.missing || false }, async (t) => {
      const version = kind === 'haproxy' ? ['--haproxy-version', haproxyVersionHere(target.line)] : [];
      const stack = await startBackendStack(kind, { line: target.line });
      try {
        const got = await placeSample(stack, JIDS);
        const want = await predict(stack, JIDS, version);
        t.equal(got.bare.filter(Boolean).length, JIDS.length, 'every connection reached a backend');
        t.equal(agreeing(got.bare, want.bare), JIDS.length, `bare policy, where ${version.join(' ')} agrees for every account`);
        t.equal(agreeing(got.domain, want.domain), JIDS.length, `domain policy, where ${version.join(' ')} agrees for every account`);
      } finally {
        await stack.stop();
      }
    });
  }
}

// Passthrough (nginx-passthrough.conf, haproxy-passthrough.cfg): tenants
// by `to` on 5322 and by the ClientHello's SNI on 5223 (nginx: `hash` without
// consistent there). where --tls sends each JID as a hello for its domain.
for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind} passthrough: where predicts STARTTLS by to and Direct TLS by SNI`, async (t) => {
    const config = kind === 'nginx' ? 'njs/nginx-passthrough.conf' : 'haproxy/haproxy-passthrough.cfg';
    const stack = await startBackendStack(kind, { config, backendPorts: [5301, 5302, 5303, 5311, 5312, 5313] });
    const jids = JIDS.slice(0, 120);
    try {
      const tls = stack.prepared.ports.get(5223);
      const starttls = await sendAll(jids.map((j) => ({ port: stack.tenants, bytes: header(j, domainOf(j)) })));
      const direct = await sendAll(jids.map((j) => ({ port: tls, bytes: clientHello(domainOf(j)) })));
      const c2s = kind === 'nginx' ? 'xmpp_tenants_c2s' : 'xmpp_tenants_c2s';
      const a = await predict(stack, jids, ['--policy', 'domain', '--upstream', c2s, ...versionArgs(kind)]);
      const b = await predict(stack, jids, ['--policy', 'domain', '--tls', '--upstream', `${c2s}_tls`, ...versionArgs(kind)]);
      t.equal(starttls.filter(Boolean).length, jids.length, 'every STARTTLS connection reached a backend');
      t.equal(agreeing(starttls, a.domain), jids.length, 'STARTTLS on 5322: where agrees for every account (key: to)');
      t.equal(agreeing(direct, b.domain), jids.length, 'Direct TLS on 5223: where --tls agrees for every account (key: the SNI)');
      t.ok(b.json.results.every((r) => r.routeBy === 'sni'), 'route_by sni');
      t.equal(new Set(direct).size, 3, 'the hellos land on all three TLS ports');
    } finally {
      await stack.stop();
    }
  });
}

t.test('nginx and HAProxy place the sample differently (do not mix them in front of one set of servers)', async (t) => {
  const n = await predict({ prepared: { conf: 'njs/nginx.conf' }, nameOfAddress: (x) => x.split(':').pop() }, JIDS);
  const h = await predict({ prepared: { conf: 'haproxy/haproxy.cfg' }, nameOfAddress: (x) => x.split(':').pop() }, JIDS, ['--haproxy-version', '2.6']);
  const same = agreeing(n.bare, h.bare);
  t.ok(same < JIDS.length * 0.6, `the same server for ${same} of ${JIDS.length} accounts only`);
});

t.test('where: a raw header on standard input, and bad input', async (t) => {
  const hdr = "<?xml version='1.0'?><stream:stream from='Juliet@Example.COM/balcony' to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
  const r = await runCli(['where', '-', '--config', 'njs/nginx.conf', '--policy', 'bare'], { input: hdr });
  t.equal(r.status, 0);
  t.match(r.stdout, /bare\s+from\s+juliet@example\.com\s+127\.0\.0\.1:530\d/, 'the key from the header on stdin, normalised');
  const noFrom = await runCli(['where', 'juliet@example.com', '--config', 'haproxy/haproxy.cfg', '--no-from', '--policy', 'bare', '--addr', '203.0.113.9']);
  t.match(noFrom.stdout, /addr\s+203\.0\.113\.9\s+s\d/, 'without from: routed by the address given');
  const cases = [
    [['where', 'a@b.c', '--config', '/nonexistent/nginx.conf'], /^jidroute: \/nonexistent\/nginx\.conf: cannot read: ENOENT\n$/],
    [['where', 'a@b.c', '--config', 'njs/nginx.conf', '--upstream', 'nope'], /no stream upstream named nope/],
    [['where', 'a@b.c', '--config', 'haproxy/haproxy.cfg', '--backend', 'per_address'], /haproxy\.cfg:\d+: backend per_address has no balance line/],
    [['where'], /needs --config/],
    [['frobnicate'], /unknown command/],
  ];
  for (const [args, re] of cases) {
    const x = await runCli(args);
    t.equal(x.status, 2, `${args.join(' ')}: exit 2`);
    t.match(x.stderr, re, `${args.join(' ')}: ${x.stderr.trim()}`);
    t.equal(x.stderr.trim().split('\n').length, 1, 'one line');
  }
});
