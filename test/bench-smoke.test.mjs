// The benchmarks run (briefly) so that they cannot rot: every configuration
// of `npm run bench` is derived from the example configs, starts, and carries
// connections without a failure; `npm run bench:affinity` simulates, and its
// emulation of nginx's and HAProxy's consistent hashing agrees with the real
// proxies. No timing is asserted: figures belong to bench/results/.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../harness/proxies.mjs';
import { tempDir } from '../harness/procs.mjs';

function run(script, args) {
  const r = spawnSync(process.execPath, [join(ROOT, script), ...args], { cwd: ROOT, encoding: 'utf8', timeout: 600000 });
  return { status: r.status, output: `${r.stdout}\n${r.stderr}` };
}

t.test('npm run bench: every configuration carries connections, and the results are written', async (t) => {
  const out = tempDir('jidroute-bench-smoke-');
  const r = run('bench/cost.mjs', ['--rounds', '1', '--duration', '0.3', '--warmup', '0.1', '--rate', '200',
    '--rate-duration', '0.3', '--idle', '40', '--idle-hold', '0.1', '--core', 'typical', '--core-time', '0.02', '--callgrind', '0', '--out', out]);
  t.equal(r.status, 0, r.output.slice(-3000));
  const result = JSON.parse(readFileSync(join(out, 'cost.json'), 'utf8'));
  const ids = result.rows.map((row) => row.id);
  for (const id of ['nginx-plain', 'nginx-floor', 'nginx-regex', 'nginx-jidroute-bare', 'nginx-jidroute-domain',
    'haproxy-plain', 'haproxy-floor', 'haproxy-regex', 'haproxy-jidroute-bare', 'haproxy-jidroute-domain']) {
    t.ok(ids.includes(id), `${id} measured`);
  }
  for (const row of result.rows) {
    t.ok(row.connPerS > 0, `${row.id}: connections went through the proxy to a backend and back`);
    t.equal(row.failures, 0, `${row.id}: no connection failed`);
    t.ok(row.idle.idle === 40, `${row.id}: 40 idle connections held`);
  }
  t.same(result.errors, {}, 'the proxies logged no error');
  const runtimes = new Set(result.core.results.map((x) => x.runtime));
  t.same([...runtimes].sort(), ['lua5.3', 'lua5.4', 'njs', 'node'], 'the core ran under Node, njs, lua5.3 and lua5.4');
  t.match(readFileSync(join(out, 'cost.md'), 'utf8'), /\| nginx jidroute bare \|/);
  t.match(readFileSync(join(out, 'cost.svg'), 'utf8'), /^<svg [^>]*>[\s\S]*<\/svg>\n$/);
});

t.test('npm run bench:affinity: the simulation runs, and its placement is the real proxies\'', async (t) => {
  const out = tempDir('jidroute-bench-smoke-');
  const r = run('bench/affinity.mjs', ['--accounts', '600', '--domains', '10', '--messages', '3000', '--tenants', '20',
    '--iot-devices', '600', '--iot-messages', '3000', '--check-sample', '12', '--out', out]);
  t.equal(r.status, 0, r.output.slice(-3000));
  const result = JSON.parse(readFileSync(join(out, 'affinity.json'), 'utf8'));
  t.ok(existsSync(join(out, 'affinity.md')));
  const row = (pattern, policy, proxy) => result.rows.find((x) => x.pattern === pattern && x.policy === policy && x.proxy === proxy);
  for (const proxy of ['nginx', 'haproxy']) {
    t.equal(row('social', 'bare', proxy).accountsSplit, 0, `${proxy}, bare JID: no account split (every device sends from)`);
    t.equal(row('iot', 'domain', proxy).domainsSplit, 0, `${proxy}, domain: no tenant split`);
    t.equal(row('iot', 'domain', proxy).messagesCrossing, 0, `${proxy}, domain: no IoT message crosses`);
    t.ok(row('social', 'address', proxy).accountsSplit > 0, `${proxy}, client address: accounts split`);
  }
  for (const c of result.check) {
    const best = Math.max(...Object.values(c.agree));
    t.equal(best, c.total, `${c.config} (${c.kind}): an emulation agrees with the real proxy on every connection ${JSON.stringify(c.agree)}`);
  }
});
