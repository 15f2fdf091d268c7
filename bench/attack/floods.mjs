// Floods, long run: thousands of connections that send nothing, junk, or a
// header far over the limit (each kind from many addresses, under the
// per-address limit), while legitimate clients keep connecting; then headers
// sent one byte per segment. Figures: proxy RSS before/peak/after, CPU,
// legitimate latency p50/p99 without and with the flood, bytes checked.
// Writes bench/attack/results/floods.json.
//
//   npm run attack:floods
//   node bench/attack/floods.mjs --silent 1800 --junk-count 10000 --oversized-count 5000
//   node bench/attack/floods.mjs --rounds 1 --silent 0 --junk-count 0 --oversized-count 0 --dribble-bytes 2000 --tag dribble-2000
import { floods } from '../../harness/hostile/floods.mjs';
import { options, save } from './args.mjs';

const o = options({ kinds: 'nginx,haproxy', rounds: 3, silent: 1800, junkCount: 10000, junkWidth: 100, oversizedCount: 4000, oversizedWidth: 50, addresses: 200, legit: 300, dribbles: 200, dribbleBytes: 8000, tag: '' });
const results = [];
for (const kind of o.kinds.split(',')) {
  console.error(`floods: ${kind} ...`);
  const r = await floods(kind, o);
  console.error(`floods: ${kind}: ${r.flood.connections} flood connections in ${r.flood.ms} ms; RSS ${r.rssKiB.before} -> peak ${r.rssKiB.peak} -> ${r.rssKiB.after} KiB; ` +
    `legit p50/p99 ${r.baseline.p50}/${r.baseline.p99} -> ${r.underAttack.p50}/${r.underAttack.p99} ms; problems ${r.problems.length}`);
  results.push(r);
}
const file = save(`floods${o.tag ? `-${o.tag}` : ''}`, { options: o, results });
console.log(JSON.stringify(results, null, 2));
console.error(`written to ${file}`);
