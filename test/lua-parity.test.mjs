// The Lua build (HAProxy) and the JavaScript build (nginx) give the same
// answer, byte for byte, for the same bytes: the shared vectors, each mutated
// byte by byte, and generated and mutated headers fed in random pieces.
import t from 'tap';
import { loadVectors } from '../harness/vectors.mjs';
import { random, randomHeader, mutate, randomCuts } from '../harness/inputs/generate.mjs';
import { compareBuilds } from '../harness/builds.mjs';

const SEED = Number(process.env.JIDROUTE_SEED ?? 20261126);
const GENERATED = Number(process.env.JIDROUTE_PARITY_CASES ?? 4000);
const rng = random(SEED);
const vectors = [...loadVectors('development'), ...loadVectors('heldout')];
const cases = [];
const SPECIAL = [0x3c, 0x3e, 0x27, 0x22, 0x26, 0x40, 0x2f, 0x20, 0x00, 0xc3, 0xff, 0x41];

for (const v of vectors) {
  const address = '127.0.0.7';
  cases.push({ bytes: v.bytes, policy: v.policy, address, cuts: [] });
  cases.push({ bytes: v.bytes, policy: v.policy, address, cuts: Array.from({ length: Math.min(v.bytes.length, 400) }, (_, i) => i) });
  // Every byte (of the first 400) replaced, one at a time.
  for (let at = 0; at < Math.min(v.bytes.length, 400); at++) {
    const bytes = Buffer.from(v.bytes);
    bytes[at] = SPECIAL[(at + v.bytes[at]) % SPECIAL.length];
    cases.push({ bytes, policy: v.policy, address, cuts: randomCuts(rng, bytes.length) });
  }
}
for (let i = 0; i < GENERATED; i++) {
  const header = Buffer.from(randomHeader(rng).text, 'utf8');
  const policy = rng.chance(0.5) ? 'bare' : 'domain';
  const bytes = rng.chance(0.5) ? header : mutate(rng, header);
  cases.push({ bytes, policy, address: '::1', cuts: randomCuts(rng, bytes.length) });
}

for (const interpreter of ['lua5.3', 'lua5.4']) {
  t.test(`${interpreter} and Node agree (seed ${SEED})`, async (t) => {
    const result = compareBuilds(interpreter, cases);
    t.equal(result.luaCount, result.count, `${interpreter} answered every one of ${result.count} inputs`);
    t.same(result.differences.slice(0, 5), [], `no input gets a different answer (${result.differences.length} differ)`);
  });
}
