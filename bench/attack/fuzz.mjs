// The long fuzz run of the core: every shared vector with every byte replaced
// by each of the 255 other values (long vectors: their first and last 256
// bytes and every 64th), cut short at every byte, a byte dropped or inserted
// at every byte; millions of generated and mutated headers; pathological
// shapes up to 64 KiB. Every input goes through the JavaScript build whole and
// in random pieces and through the Lua build (lua5.3 and lua5.4 in turn):
// no exception, a valid key and routeBy, the same answer whole and in
// pieces, the same answer from both builds. Prints the figures, among them
// the slowest inputs per byte, and writes bench/attack/results/fuzz.json.
//
//   npm run attack:fuzz                       # about 11 million inputs
//   node bench/attack/fuzz.mjs --generated 100000 --max-minutes 5
import { fuzzCases, fuzzRun } from '../../harness/inputs/fuzz.mjs';
import { options, save } from './args.mjs';

const o = options({ seed: 20261126, values: 255, everyUpTo: 1200, generated: 4000000, pathological: 20000, maxMinutes: 120, interpreters: 'lua5.3,lua5.4' });
console.error(`fuzz: ${JSON.stringify(o)}`);
let last = Date.now();
const stats = await fuzzRun({
  cases: fuzzCases(o),
  interpreters: o.interpreters.split(','),
  maxMs: o.maxMinutes * 60000,
  onBatch: (s) => {
    if (Date.now() - last < 30000) return;
    last = Date.now();
    console.error(`fuzz: ${s.inputs} inputs, ${(s.bytes / 1e6).toFixed(0)} MB, ${(s.ms / 1000).toFixed(0)} s; ` +
      `exceptions ${s.exceptions}, lua errors ${s.luaErrors}, invalid ${s.invalid}, split ${s.splitDiffers}, builds differ ${s.buildsDiffer}`);
  },
});
const ok = stats.exceptions + stats.luaErrors + stats.invalid + stats.splitDiffers + stats.buildsDiffer === 0 && !stats.stoppedEarly;
const result = { options: o, ok, inputsPerSecond: Math.round(stats.inputs / (stats.ms / 1000)), ...stats };
const file = save('fuzz', result);
console.log(JSON.stringify(result, null, 2));
console.error(`fuzz: ${ok ? 'PASS' : 'FAIL'}: ${stats.inputs} inputs in ${(stats.ms / 60000).toFixed(1)} min; written to ${file}`);
process.exit(ok ? 0 : 1);
