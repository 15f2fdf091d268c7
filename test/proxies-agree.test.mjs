// The same bytes through the real nginx and the real HAProxy give the same
// key and variables (each from its own build of core/): the vectors and
// generated headers, each sent from the same client address to both.
import t from 'tap';
import { prepareNginx, prepareHaproxy, startProxy, njsTimersResumePreread, parseLog } from '../harness/proxies.mjs';
import { startBackends, exchange } from '../harness/backends.mjs';
import { loadVectors, byteString } from '../harness/vectors.mjs';
import { random, randomHeader, mutate } from '../harness/inputs/generate.mjs';
import { waitFor } from '../harness/procs.mjs';
import { core } from '../harness/core.mjs';

const SEED = Number(process.env.JIDROUTE_SEED ?? 6120);
const GENERATED = Number(process.env.JIDROUTE_AGREE_CASES ?? 300);

t.test('nginx and HAProxy publish the same variables for the same bytes', async (t) => {
  const proxies = [];
  for (const prepare of [prepareNginx, prepareHaproxy]) {
    const prepared = await prepare();
    const backends = await startBackends(['c2s-1', 'c2s-2', 'c2s-3'], [5301, 5302, 5303].map((p) => prepared.ports.get(p)));
    t.teardown(() => Promise.all(backends.map((b) => b.close())));
    const proxy = await startProxy(prepared);
    t.teardown(() => proxy.stop());
    proxies.push(proxy);
  }
  const rng = random(SEED);
  const inputs = [...loadVectors('development'), ...loadVectors('heldout')].map((v) => ({ bytes: v.bytes, policy: v.policy }));
  for (let i = 0; i < GENERATED; i++) {
    const header = Buffer.from(randomHeader(rng).text, 'utf8');
    const bytes = rng.chance(0.5) ? header : mutate(rng, header);
    inputs.push({ bytes, policy: rng.chance(0.5) ? 'bare' : 'domain' });
  }
  // Headers cut short wait for the proxies' header timeouts (5 s on both):
  // send those first, all at once, so that they wait together. On njs 0.7
  // nginx closes them at preread_timeout instead (njs/jidroute.ts), routed by
  // nothing: there the two proxies cannot agree, and those are left out.
  const waits = (input) => !core.feedRouter(core.newRouter(input.policy), byteString(input.bytes));
  if (!njsTimersResumePreread()) inputs.splice(0, inputs.length, ...inputs.filter((input) => !waits(input)));
  inputs.sort((a, b) => Number(waits(b)) - Number(waits(a)));
  const waiting = inputs.filter(waits).length;
  const sent = [];
  for (let i = 0; i < inputs.length; i += 50) {
    await Promise.all(inputs.slice(i, i + 50).map(async (input, j) => {
      const n = i + j;
      const localAddress = `127.1.${Math.floor(n / 250)}.${(n % 250) + 1}`;
      const listener = input.policy === 'domain' ? 5322 : 5222;
      const [viaNginx, viaHaproxy] = await Promise.all(proxies.map((p) =>
        exchange(p.port(listener), input.bytes, { localAddress, timeoutMs: 20000 })));
      sent.push({ input, nginx: `${localAddress}:${viaNginx.localPort}`, haproxy: `${localAddress}:${viaHaproxy.localPort}` });
    }));
  }
  const read = () => ({ nginx: parseLog('nginx', proxies[0].log()), haproxy: parseLog('haproxy', proxies[1].log()) });
  const unlogged = (logs) => sent.filter((s) => !logs.nginx.has(s.nginx) || !logs.haproxy.has(s.haproxy));
  // Each proxy logs a session when it ends; every client here has seen its
  // connection closed. Wait for the lines (60 s at most), then say which
  // ones never came.
  const logs = await waitFor(() => { const l = read(); return unlogged(l).length === 0 && l; },
    { what: 'a log line for every connection on both proxies', timeoutMs: 60000 }).catch(() => read());
  // nginx's access log loses nothing. HAProxy may drop a line under load
  // and counts what it drops (harness/proxies.mjs droppedLogs): as many
  // connections as that may go without a line there, and are not compared.
  const dropped = await proxies[1].droppedLogs();
  const missing = unlogged(logs).map((s) => ({
    input: s.input.bytes.toString().slice(0, 200), nginx: logs.nginx.has(s.nginx) ? 'logged' : s.nginx, haproxy: logs.haproxy.has(s.haproxy) ? 'logged' : s.haproxy,
  }));
  const missingNginx = missing.filter((m) => m.nginx !== 'logged');
  const missingHaproxy = missing.filter((m) => m.haproxy !== 'logged');
  t.same(missingNginx.slice(0, 3), [], `a line in nginx's log for every connection (${missingNginx.length} missing)`);
  t.ok(missingHaproxy.length <= dropped,
    `a line in HAProxy's log for every connection but the ones it says it dropped (${missingHaproxy.length} missing, ${dropped} dropped)`,
    { missing: missingHaproxy.slice(0, 3) });
  if (missing.length) for (const p of proxies) t.comment(`${p.kind}'s error output, the end: ${p.errors().slice(-2000)}`);
  const differ = [];
  for (const s of sent.filter((x) => logs.nginx.has(x.nginx) && logs.haproxy.has(x.haproxy))) {
    const a = logs.nginx.get(s.nginx);
    const b = logs.haproxy.get(s.haproxy);
    const pick = (e) => JSON.stringify([e.key, e.routeBy, e.from, e.to, e.stream]);
    if (pick(a) !== pick(b)) differ.push({ input: s.input.bytes.toString(), nginx: pick(a), haproxy: pick(b) });
  }
  t.equal(sent.length, inputs.length, `${inputs.length} inputs sent through both, ${waiting} of them cut short`);
  t.same(differ.slice(0, 3), [], `same variables on both proxies (${differ.length} differ)`);
});
