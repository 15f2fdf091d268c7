// The Lua build (HAProxy) and the JavaScript build (nginx) read TLS
// ClientHellos alike: every hello vector whole and byte by byte, every byte of
// each replaced, and hellos mutated where the structure is (lengths,
// repeated, dropped and GREASE extensions, names, records split anew, cut
// short), fed in random pieces under both policies.
import t from 'tap';
import { random, randomCuts } from '../harness/inputs/generate.mjs';
import { compareBuilds } from '../harness/builds.mjs';
import { helloVectors, mutateHello } from '../harness/inputs/hellos.mjs';
import { core } from '../harness/core.mjs';

const SEED = Number(process.env.JIDROUTE_SEED ?? 20261201);
const MUTATED = Number(process.env.JIDROUTE_HELLO_CASES ?? 6000);
const rng = random(SEED);
const vectors = helloVectors();
const cases = [];
for (const v of vectors) {
  const address = '127.0.0.7';
  cases.push({ bytes: v.bytes, policy: v.policy, address, cuts: [] });
  cases.push({ bytes: v.bytes, policy: v.policy, address, cuts: Array.from({ length: Math.min(v.bytes.length, 600) }, (_, i) => i) });
  for (let at = 0; at < Math.min(v.bytes.length, 400); at += 3) {
    const bytes = Buffer.from(v.bytes);
    bytes[at] = (bytes[at] + 1 + rng.int(255)) & 0xff;
    cases.push({ bytes, policy: v.policy, address, cuts: randomCuts(rng, bytes.length) });
  }
}
for (let i = 0; i < MUTATED; i++) {
  let bytes = rng.pick(vectors).bytes;
  for (let k = 1 + rng.int(2); k > 0; k--) bytes = mutateHello(rng, bytes);
  cases.push({ bytes, policy: rng.chance(0.5) ? 'bare' : 'domain', address: '::1', cuts: randomCuts(rng, bytes.length) });
}

// The mutations reach every outcome, or the comparison would prove little.
const streams = {};
for (const c of cases) {
  const router = core.newRouter(c.policy);
  core.feedRouter(router, c.bytes.toString('latin1'));
  const r = core.currentRoute(router, c.address);
  const k = `${r.stream}/${r.routeBy}`;
  streams[k] = (streams[k] || 0) + 1;
}
t.comment(`${cases.length} inputs: ${JSON.stringify(streams)}`);
for (const k of ['tls-client/sni', 'tls-client/addr', 'tls-server/sni', 'not-xml/addr', 'incomplete/addr', 'too-long/addr']) {
  t.ok(streams[k] > 0, `inputs reach ${k}`);
}

for (const interpreter of ['lua5.3', 'lua5.4']) {
  t.test(`${interpreter} and Node agree on hellos (seed ${SEED})`, async (t) => {
    const result = compareBuilds(interpreter, cases);
    t.equal(result.luaCount, result.count, `${interpreter} answered every one of ${result.count} inputs`);
    t.same(result.differences.slice(0, 5), [], `no input gets a different answer (${result.differences.length} differ)`);
  });
}
