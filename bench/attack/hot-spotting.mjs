// Hot-spotting, long run: an attacker finds 'from' values that all hash to
// one backend and opens as many connections as it can from several
// addresses; with the example configs' per-address limit and without it.
// Figures: connections the attacker holds on its target and elsewhere,
// connections refused, legitimate latency (all accounts, and the target's)
// before and during. Writes bench/attack/results/hot-spotting.json.
//
//   npm run attack:hot-spotting
//   node bench/attack/hot-spotting.mjs --addresses 10 --per-address 300
import { hotSpotting } from '../../harness/hostile/hot-spotting.mjs';
import { options, save } from './args.mjs';

const o = options({ kinds: 'nginx,haproxy', addresses: 10, perAddress: 300, legit: 300 });
const results = [];
for (const kind of o.kinds.split(',')) {
  for (const limit of [true, false]) {
    console.error(`hot-spotting: ${kind}, limit ${limit ? 'on' : 'off'} ...`);
    const r = await hotSpotting(kind, { addresses: o.addresses, perAddress: o.perAddress, legit: o.legit, limit });
    console.error(`hot-spotting: ${kind}, limit ${limit ? 'on' : 'off'}: ${r.attack.accepted} of ${r.attack.connections} accepted, on ${JSON.stringify(r.attack.onBackend)}; ` +
      `legit on target p50/p99 ${r.legit.baselineOnTarget.p50}/${r.legit.baselineOnTarget.p99} -> ${r.legit.duringOnTarget.p50}/${r.legit.duringOnTarget.p99} ms; problems ${r.problems.length}`);
    results.push(r);
  }
}
const file = save('hot-spotting', { options: o, results });
console.log(JSON.stringify(results, null, 2));
console.error(`written to ${file}`);
