// Reload under load against the real nginx (HUP, what `nginx -s reload`
// sends) and HAProxy (master-worker, USR2), started by PID with the example
// configs: 1,000 live sessions, one account each, and new sessions arriving
// every 20 ms while the proxy reloads with a fourth backend, then once more
// unchanged. No live session is dropped and every byte comes back; new
// sessions go where the new config sends them; the fourth backend takes
// about a quarter of the accounts, and no account moves anywhere else.
import t from 'tap';
import { reloadUnderLoad } from '../harness/hostile/reload.mjs';

for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind}: reload with 1,000 live sessions`, async (t) => {
    const r = await reloadUnderLoad(kind, { live: 1000, reloads: 2, arrivalGapMs: 20 });
    t.comment(JSON.stringify({ reloads: r.reloads, arrivals: r.arrivals, moved: r.moved, movedTo: r.movedTo, spreadBefore: r.spreadBefore, spreadAfter: r.spreadAfter, rssKiB: r.rssKiB, tally: r.tally }));
    t.equal(r.liveOpened, 1000, '1,000 live sessions opened');
    t.equal(r.liveDropped, 0, 'no live session dropped by the reloads');
    t.equal(r.liveIntact, 1000, 'every live session: every byte back, in order, before and after the reloads');
    t.ok(r.arrivals.duringReload > 0, `${r.arrivals.duringReload} sessions arrived during the reloads`);
    t.equal(r.arrivals.failed, 0, `all ${r.arrivals.total} new sessions served`);
    t.equal(r.arrivals.misrouted, 0, 'new sessions at the old home before the reload, at the new home after');
    t.same(Object.keys(r.movedTo), ['c2s-4'], 'accounts moved only to the new backend');
    t.ok(r.moved >= 100 && r.moved <= 450, `${r.moved} of 1,000 accounts moved (1/4 expected)`);
    t.equal(r.tally.mismatches + r.tally.foreignBytes, 0, 'no byte lost or changed');
    t.same(r.errors, [], 'nothing alarming in the proxy\'s error log');
    t.same(r.problems, [], 'no problems');
  });
}
