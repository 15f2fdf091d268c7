// How jidroute reads the configs: HAProxy's conditional blocks decided for
// the version assumed (and refused when they cannot be), named defaults,
// the policy in the handler's name, and every example config. No proxy runs
// here: what these readings predict is checked against the real proxies in
// cli-where, cli-moves and cli-report.
import t from 'tap';
import { writeFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../harness/procs.mjs';
import { runCli, cliJson } from './lib/cli.mjs';

const dir = tempDir('jidroute-config-');
const write = (name, text) => { const f = join(dir, name); writeFileSync(f, text); return f; };

const GATED = `global
.if version_atleast(3.2)
    tune.lua.bool-sample-conversion normal
.endif
defaults xmpp
    mode tcp
    balance hash var(sess.xmpp_key)
    hash-type consistent
    default-server weight 2
frontend xmpp_bare from xmpp
    bind :5222
    tcp-request content lua.jidroute
    default_backend xmpp_c2s
backend xmpp_c2s from xmpp
    server s1 127.0.0.1:5301
    server s2 127.0.0.1:5302
.if version_atleast(3.2) && !version_before(3.0)
    server s3 127.0.0.1:5303
.elif version_atleast(2.6)
    server old3 127.0.0.1:5313 weight 1
.else
    server never 127.0.0.1:5399
.endif
`;

t.test('.if blocks are decided for the HAProxy version assumed', async (t) => {
  const f = write('gated.cfg', GATED);
  const old = await cliJson(['where', 'a@example.com', '--config', f, '--haproxy-version', '2.6']);
  t.same(old.configs[0].servers.map((s) => [s.name, s.weight]), [['s1', 2], ['s2', 2], ['old3', 1]], '2.6: the .elif branch; weights from the named defaults');
  const three = await cliJson(['where', 'a@example.com', '--config', f, '--haproxy-version', '3.0.11']);
  t.same(three.configs[0].servers.map((s) => s.name), ['s1', 's2', 'old3'], '3.0.11: before 3.2, the .elif branch');
  const now = await cliJson(['where', 'a@example.com', '--config', f, '--haproxy-version', '3.4']);
  t.same(now.configs[0].servers.map((s) => s.name), ['s1', 's2', 's3'], '3.4: the .if branch');
  const patch = await cliJson(['where', 'a@example.com', '--config', f, '--haproxy-version', '3.2.26']);
  t.same(patch.configs[0].servers.map((s) => s.name), ['s1', 's2', 's3'], '3.2.26: the .if branch');
  t.notSame(old.results[0].servers[0], undefined);
});

t.test('conditions jidroute cannot decide: exit 2, one line naming file and line', async (t) => {
  const cases = [
    ['.if defined(WITH_S3)', /unknown\.cfg:17: cannot evaluate "\.if defined\(WITH_S3\)" for HAProxy 2\.6.*environment/],
    ['.if frobnicate(1)', /unknown\.cfg:17: .*unknown predicate "frobnicate"/],
    ['.if streq("$MODE",prod)', /unknown\.cfg:17: .*environment/],
    ['.if version_atleast(2.6.5)', /unknown\.cfg:17: .*patch release/],
    ['.if version_atleast(3.0', /unknown\.cfg:17: .*missing "\)"/],
  ];
  for (const [cond, re] of cases) {
    const f = write('unknown.cfg', GATED.replace('.if version_atleast(3.2) && !version_before(3.0)', cond));
    const r = await runCli(['where', 'a@example.com', '--config', f, '--haproxy-version', '2.6']);
    t.equal(r.status, 2, `${cond}: exit 2`);
    t.match(r.stderr, re, `${cond}: ${r.stderr.trim()}`);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
  }
  const unclosed = write('unclosed.cfg', GATED.replace(/\.endif\n$/, ''));
  const u = await runCli(['where', 'a@example.com', '--config', unclosed, '--haproxy-version', '3.4']);
  t.equal(u.status, 2);
  t.match(u.stderr, /unclosed\.cfg:17: \.if without \.endif/);
  // A condition in a block already dropped is not evaluated (as HAProxy).
  const nested = write('nested.cfg', GATED.replace('    server old3 127.0.0.1:5313 weight 1\n', '.if defined(X)\n    server x 127.0.0.1:5320\n.endif\n'));
  const n = await cliJson(['where', 'a@example.com', '--config', nested, '--haproxy-version', '3.4']);
  t.same(n.configs[0].servers.map((s) => s.name), ['s1', 's2', 's3'], 'defined() inside a dropped branch is never asked');
  const stray = write('stray.cfg', GATED.replace('defaults xmpp', '.endif\ndefaults xmpp'));
  t.match((await runCli(['where', 'a@b.c', '--config', stray])).stderr, /stray\.cfg:5: \.endif without \.if/);
});

t.test('named defaults: from a section that is not there is an error', async (t) => {
  const f = write('nofrom.cfg', GATED.replace('backend xmpp_c2s from xmpp', 'backend xmpp_c2s from nope'));
  const r = await runCli(['where', 'a@b.c', '--config', f, '--haproxy-version', '3.4']);
  t.equal(r.status, 2);
  t.match(r.stderr, /nofrom\.cfg:14: no defaults section named "nope" before this line/);
});

t.test('the policy is in the handler\'s name', async (t) => {
  const h = (rules) => write('h.cfg', GATED.replace('    tcp-request content lua.jidroute\n', rules));
  const haproxyCases = [
    ['    tcp-request content lua.jidroute\n', 'bare'],
    ['    tcp-request content lua.jidroute_domain\n', 'domain'],
    ['    tcp-request content set-var(sess.xmpp_policy) str(domain)\n    tcp-request content lua.jidroute\n', 'domain'],
    ['    tcp-request content lua.jidroute\n    tcp-request content set-var(sess.xmpp_policy) str(domain)\n', 'bare'],
    ['', 'none'],
  ];
  for (const [rules, want] of haproxyCases) {
    const j = await cliJson(['where', 'a@b.c', '--config', h(rules), '--haproxy-version', '3.4']);
    t.equal(j.configs[0].listeners[0].policy, want, `HAProxy ${JSON.stringify(rules.trim())}: ${want}`);
  }
  const nginx = (server) => write('n.conf', `stream {
    js_import jidroute from /usr/local/lib/jidroute/jidroute.js;
    upstream xmpp_c2s {
        hash $xmpp_key consistent;
        server 127.0.0.1:5301;
        server 127.0.0.1:5302;
    }
    server {
        listen 5222;
${server}        proxy_pass xmpp_c2s;
    }
}
`);
  const nginxCases = [
    ['        js_preread jidroute.bare;\n', 'bare'],
    ['        js_preread jidroute.domain;\n', 'domain'],
    ['        js_preread jidroute.preread;\n', 'bare'],
    ['        set $xmpp_policy domain;\n        js_preread jidroute.preread;\n', 'domain'],
    ['        js_preread other.domain;\n', 'none'],
  ];
  for (const [server, want] of nginxCases) {
    const j = await cliJson(['where', 'a@b.c', '--config', nginx(server)]);
    t.equal(j.configs[0].listeners[0].policy, want, `nginx ${JSON.stringify(server.trim())}: ${want}`);
  }
});

t.test('where reads every example config', async (t) => {
  const configs = [...readdirSync('njs').filter((f) => f.endsWith('.conf')).map((f) => `njs/${f}`), ...readdirSync('haproxy').filter((f) => f.endsWith('.cfg')).map((f) => `haproxy/${f}`)];
  t.ok(configs.length >= 8, `${configs.length} example configs`);
  for (const config of configs) {
    for (const version of config.startsWith('haproxy') ? ['2.6', '3.2', '3.4'] : [undefined]) {
      const r = await runCli(['where', 'juliet@example.com', '--config', config, ...(version ? ['--haproxy-version', version] : [])]);
      t.equal(r.status, 0, `${config}${version ? ` as ${version}` : ''}: exit 0 ${r.stderr.trim()}`);
    }
  }
  const pass = await cliJson(['where', '--sni', 'Tenant-A.Example', '--config', 'haproxy/haproxy-passthrough.cfg', '--backend', 'xmpp_tenants_c2s_tls', '--haproxy-version', '2.6']);
  const domain = pass.results.find((r) => r.policy === 'domain');
  t.same([domain.routeBy, domain.key, domain.stream], ['sni', 'tenant-a.example', 'tls-client'], 'a passthrough hello: the SNI name is the key under the domain policy');
  t.equal(pass.results.find((r) => r.policy === 'bare').routeBy, 'addr', 'a client hello under the bare policy: by address');
  const hint = await runCli(['where', 'a@tenant-a.example', '--config', 'njs/nginx-passthrough.conf', '--upstream', 'xmpp_tenants_c2s_tls']);
  t.match(hint.stdout, /passes TLS through: its key is the ClientHello's SNI/, 'where says a passthrough listener is keyed on the SNI');
});
