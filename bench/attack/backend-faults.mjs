// Backend faults, long run: on nginx and HAProxy with the example configs, a
// backend dies, another refuses connections, a third accepts and hangs, each
// while every account has a live session and new sessions keep probing.
// Figures: when the victim's accounts went elsewhere and where, other
// accounts moved (0 expected), what the victim's live clients saw, when the
// accounts came back. Writes bench/attack/results/backend-faults.json.
//
//   npm run attack:faults
//   node bench/attack/backend-faults.mjs --accounts 300
import { backendFaults } from '../../harness/hostile/faults.mjs';
import { options, save } from './args.mjs';

const o = options({ kinds: 'nginx,haproxy', accounts: 300, dieMs: 10000, refuseMs: 10000, hangMs: 20000 });
const results = [];
for (const kind of o.kinds.split(',')) {
  console.error(`faults: ${kind} ...`);
  const r = await backendFaults(kind, { accounts: o.accounts, faultMs: { die: o.dieMs, refuse: o.refuseMs, hang: o.hangMs } });
  for (const f of r.faults) {
    console.error(`faults: ${kind} ${f.fault} ${f.victim}: elsewhere from ${f.firstElsewhereMs} ms, all from ${f.allElsewhereFromMs} ms, to ${JSON.stringify(f.victimsWentTo)}; ` +
      `others moved ${f.otherProbesMoved}/${f.otherProbes}; victim live closed ${f.victimLiveClosed}/${f.liveOnVictim}, working ${f.victimLiveStillWorking}; back after ${f.recoveredAfterMs} ms`);
  }
  results.push(r);
}
const file = save('backend-faults', { options: o, results });
console.log(JSON.stringify(results, null, 2));
console.error(`written to ${file}`);
