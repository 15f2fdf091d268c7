// Fuzzing the core, briefly (bench/attack/fuzz.mjs is the long run): shared
// vectors mutated, cut short and split at random points, generated and
// mutated headers, pathological shapes, TLS ClientHellos mutated. No exception, always a valid key and
// routeBy, the same answer whole and in pieces, and the same answer from the
// JavaScript build and the Lua build (lua5.3 and lua5.4 in turn) on every input.
// Time per byte is measured by the long run, not asserted here.
import t from 'tap';
import { fuzzCases, fuzzRun } from '../harness/inputs/fuzz.mjs';

const SEED = Number(process.env.JIDROUTE_SEED ?? 7070707);

t.test(`fuzz the core (seed ${SEED})`, async (t) => {
  const stats = await fuzzRun({
    cases: fuzzCases({ seed: SEED, values: 2, everyUpTo: 1200, sample: 0.08, generated: 12000, pathological: 160, hellos: 6000 }),
    interpreters: ['lua5.3', 'lua5.4'],
  });
  t.comment(`${stats.inputs} inputs, ${stats.bytes} bytes in ${stats.ms} ms; streams ${JSON.stringify(stats.stream)}`);
  t.ok(stats.inputs > 20000, `${stats.inputs} inputs tried`);
  for (const family of ['vector-byte', 'vector-truncated', 'vector-byte-dropped', 'vector-byte-inserted', 'generated', 'generated-mutated', 'pathological', 'hello-mutated']) {
    t.ok(stats.families[family] > 0, `${family}: ${stats.families[family]} inputs`);
  }
  t.equal(stats.luaCompared['lua5.3'] + stats.luaCompared['lua5.4'], stats.inputs, 'every input compared with a Lua build');
  t.equal(stats.exceptions, 0, 'the JavaScript build never throws');
  t.equal(stats.luaErrors, 0, 'the Lua build never raises');
  t.equal(stats.invalid, 0, 'every answer is a valid key and routeBy');
  t.equal(stats.splitDiffers, 0, 'the same answer whole and in pieces');
  t.equal(stats.buildsDiffer, 0, 'the same answer from both builds');
  t.same(stats.failures.slice(0, 3), [], 'no failing input');
  for (const family of ['client', 'malformed', 'too-long', 'not-xml', 'incomplete', 'tls-client', 'tls-server']) {
    t.ok(stats.stream[family] > 0, `inputs reach outcome ${family}`);
  }
});
