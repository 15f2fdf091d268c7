// Reconnect storm against the real nginx and HAProxy with the example
// configs: 1,500 live sessions, one account and one address each; a backend
// dies and listens again a second later; its ~500 clients reconnect at once
// (and every 200 ms until they are back). All of them get back, each with
// its bytes intact, and the sessions on the other backends never notice.
// How long it took and where they landed are printed as comments
// (bench/attack/reconnect-storm.mjs measures them at length).
import t from 'tap';
import { reconnectStorm } from '../harness/hostile/storm.mjs';

for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind}: a backend restart, its clients reconnect at once`, async (t) => {
    const r = await reconnectStorm(kind, { clients: 1500, restart: 1, downMs: 1000 });
    t.comment(JSON.stringify({ affected: r.affected, allBackAfterMs: r.allBackAfterMs, backAfterMs: r.backAfterMs, attempts: r.attempts, landed: r.landed, landedHome: r.landedHome, spreadAfter: r.spreadAfter, proxyCpuMs: r.proxyCpuMs, tally: r.tally }));
    t.ok(r.affected >= 250, `${r.affected} clients lost their session`);
    t.equal(r.reconnected, r.affected, 'every one of them got back');
    t.equal(r.gaveUp, 0, 'none gave up');
    t.equal(r.unaffectedOk, r.unaffected, `the other ${r.unaffected} sessions carried on`);
    t.equal(r.tally.mismatches + r.tally.foreignBytes, 0, 'no byte lost or changed');
    t.same(r.errors, [], 'nothing alarming in the proxy\'s error log');
    t.same(r.problems, [], 'no problems');
  });
}
