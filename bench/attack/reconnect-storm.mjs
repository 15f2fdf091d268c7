// Reconnect storm, long run: live sessions on nginx and HAProxy with the
// example configs; one backend (then all three) dies and comes back after a
// while; every client that lost its session reconnects at once and retries
// every 200 ms. Figures: time until all are back, attempts, where they
// landed, sessions elsewhere untouched, bytes checked.
// Writes bench/attack/results/reconnect-storm.json.
//
//   npm run attack:storm
//   node bench/attack/reconnect-storm.mjs --clients 1800 --down-ms 1000
import { reconnectStorm } from '../../harness/hostile/storm.mjs';
import { options, save } from './args.mjs';

// 1,800: nginx's example worker_connections (4096) holds about 2,000
// proxied sessions per worker (two connections each).
const o = options({ kinds: 'nginx,haproxy', clients: 1800, downMs: 1000, longDownMs: 12000 });
const results = [];
for (const kind of o.kinds.split(',')) {
  for (const [restart, downMs] of [[1, o.downMs], [1, o.longDownMs], [3, o.downMs]]) {
    console.error(`storm: ${kind}, ${restart} backend(s) down ${downMs} ms ...`);
    const r = await reconnectStorm(kind, { clients: o.clients, restart, downMs });
    console.error(`storm: ${kind}: ${r.reconnected}/${r.affected} back, all after ${r.allBackAfterMs} ms (p50 ${r.backAfterMs.p50}), attempts ${r.attempts.total} (max ${r.attempts.max}); ` +
      `landed ${JSON.stringify(r.landed)}, ${r.landedHome} at home; unaffected ${r.unaffectedOk}/${r.unaffected}; problems ${r.problems.length}`);
    results.push(r);
  }
}
const file = save('reconnect-storm', { options: o, results });
console.log(JSON.stringify(results, null, 2));
console.error(`written to ${file}`);
