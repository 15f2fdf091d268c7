// Reload under load, long run: thousands of live sessions and a steady
// stream of new ones while nginx (HUP, as `nginx -s reload`) and HAProxy
// (master-worker, USR2) reload, first with one backend more, then unchanged.
// Figures: live sessions dropped (0 expected), bytes checked, arrivals
// misrouted, accounts moved by the new backend and where to, latency during
// the reload, RSS. Writes bench/attack/results/reload-under-load.json.
//
//   npm run attack:reload
//   node bench/attack/reload-under-load.mjs --live 1800 --reloads 5
import { reloadUnderLoad } from '../../harness/hostile/reload.mjs';
import { options, save } from './args.mjs';

// 1,800: nginx's example worker_connections (4096) holds about 2,000
// proxied sessions per worker (two connections each).
const o = options({ kinds: 'nginx,haproxy', live: 1800, reloads: 5, arrivalGapMs: 10 });
const results = [];
for (const kind of o.kinds.split(',')) {
  console.error(`reload: ${kind} ...`);
  const r = await reloadUnderLoad(kind, o);
  console.error(`reload: ${kind}: ${r.liveOpened} live, ${r.liveDropped} dropped, ${r.liveIntact} intact; ${r.arrivals.total} arrivals, ${r.arrivals.misrouted} misrouted, ${r.arrivals.failed} failed; ` +
    `moved ${r.moved} of ${r.accounts} (${r.movedShare}) to ${JSON.stringify(r.movedTo)}; problems ${r.problems.length}`);
  results.push(r);
}
const file = save('reload-under-load', { options: o, results });
console.log(JSON.stringify(results, null, 2));
console.error(`written to ${file}`);
