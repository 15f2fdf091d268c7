// Backend faults against the real nginx and HAProxy with the example
// configs, every account holding a live session: one backend dies (its
// sessions reset, its port closed), another refuses new connections, the
// third accepts and hangs. New sessions for the victim's accounts go to other
// backends once the proxy has noticed (nginx: the first failed connection,
// max_fails=1; HAProxy: its checks, or a retry and redispatch); no other
// account moves; a client of a dying session sees its connection close and
// never a byte from another backend; when the backend is back, its accounts
// return to it. nginx (open source) has no active checks: a backend that
// accepts and hangs keeps its accounts, whose clients get nothing at all.
import t from 'tap';
import { backendFaults } from '../harness/hostile/faults.mjs';

for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind}: a backend dies, refuses, hangs`, async (t) => {
    const r = await backendFaults(kind, { accounts: 60 });
    for (const f of r.faults) {
      t.comment(JSON.stringify(f));
      const name = `${f.fault} (${f.victim})`;
      t.ok(f.liveOnVictim > 0 && f.otherLive > 0, `${name}: live sessions on the victim (${f.liveOnVictim}) and elsewhere (${f.otherLive})`);
      if (f.fault === 'die') t.equal(f.victimLiveClosed, f.liveOnVictim, `${name}: every session of the dead backend was closed`);
      else t.equal(f.victimLiveStillWorking, f.liveOnVictim, `${name}: sessions already open on it carry on, every byte back`);
      t.equal(f.victimLiveForeignBytes, 0, `${name}: no client of the victim got a byte from another backend`);
      t.equal(f.otherLiveWorking, f.otherLive, `${name}: every session elsewhere unaffected`);
      t.equal(f.otherProbesMoved, 0, `${name}: no other account moved (${f.otherProbes} probes)`);
      t.equal(f.victimProbesWithForeignBytes, 0, `${name}: a new session that found no server got no bytes`);
      t.notOk(f.victim in f.victimsWentTo, `${name}: accounts went to ${JSON.stringify(f.victimsWentTo)}`);
      if (kind === 'nginx' && f.fault === 'hang') {
        t.equal(f.victimProbesElsewhere, 0, `${name}: nginx keeps sending the accounts of a backend that accepts and hangs to it (no active checks)`);
      } else {
        t.ok(f.lastVictimProbeElsewhere, `${name}: the victim's accounts went elsewhere within the fault (all from ${f.allElsewhereFromMs} ms)`);
      }
      t.ok(f.recoveredAfterMs !== null, `${name}: its accounts came back to it after ${f.recoveredAfterMs} ms`);
      t.equal(f.accountsNotHomeAfterRecovery, 0, `${name}: afterwards every account is where it was`);
    }
    t.equal(r.tally.mismatches + r.tally.foreignBytes, 0, 'no byte lost or changed');
    t.same(r.errors, [], 'nothing alarming in the proxy\'s error log');
    t.same(r.problems, [], 'no problems');
  });
}
