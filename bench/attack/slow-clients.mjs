// Slow clients (slowloris), long run: many connections trickle a stream
// header one byte every few seconds, each from its own address, while
// legitimate clients keep connecting; on nginx and HAProxy with the example
// configs. Figures: legitimate latency p50/p99 without and with the attack,
// proxy CPU and RSS, when the slow ones were handed to a backend (or closed),
// bytes checked. Writes bench/attack/results/slow-clients.json.
//
//   npm run attack:slow-clients
//   node bench/attack/slow-clients.mjs --slow 1500 --every-ms 3000 --bytes-each 20
//   node bench/attack/slow-clients.mjs --header-timeout 0   # nginx: preread_timeout closes them instead
import { slowClients } from '../../harness/hostile/slow-clients.mjs';
import { options, save } from './args.mjs';

const o = options({ kinds: 'nginx,haproxy', slow: 1500, everyMs: 3000, bytesEach: 20, legit: 300, headerTimeout: '' });
const results = [];
for (const kind of o.kinds.split(',')) {
  console.error(`slow-clients: ${kind} ...`);
  const r = await slowClients(kind, { slow: o.slow, everyMs: o.everyMs, bytesEach: o.bytesEach, legit: o.legit, headerTimeout: o.headerTimeout === '' ? undefined : o.headerTimeout });
  console.error(`slow-clients: ${kind}: baseline p50/p99 ${r.baseline.p50}/${r.baseline.p99} ms, under attack ${r.underAttack.p50}/${r.underAttack.p99} ms (${r.underAttack.sessions} sessions); ` +
    `${r.slowClients.handedToBackend} handed over, ${r.slowClients.closedByProxy} closed; RSS ${r.rssKiB.before} -> ${r.rssKiB.peak} KiB; problems ${r.problems.length}`);
  results.push(r);
}
const suffix = o.headerTimeout === '' ? '' : `-header-timeout-${o.headerTimeout}`;
const file = save(`slow-clients${suffix}`, { options: o, results });
console.log(JSON.stringify(results, null, 2));
console.error(`written to ${file}`);
