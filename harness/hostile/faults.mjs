// Backend faults: a backend that dies (its sessions reset, its port closed),
// one that refuses new connections (its sessions go on), one that accepts and
// hangs. Live sessions are open for every account; during each fault and
// after the backend comes back, new sessions probe where accounts land.
// Measured: when the victim's accounts went elsewhere, where, whether any
// other account moved, what the victim's live clients saw, and when the
// accounts came back.
import { startEchoStack, proxyErrors } from '../stack.mjs';
import { openSession, verifySession, newTally, clientHeader } from '../sessions.mjs';
import { sleep, addressPool, inParallel } from '../procs.mjs';
import { POOL, probeHomes } from './common.mjs';

const FAULTS = {
  async die(b) { await b.die(); },
  async refuse(b) { await b.refuse(); },
  async hang(b) { b.mode = 'hang'; },
};
const RECOVER = {
  async die(b) { await b.listen(); },
  async refuse(b) { await b.listen(); },
  async hang(b) { b.mode = 'greet'; },
};

export async function backendFaults(kind, { faults = ['die', 'refuse', 'hang'], accounts = 60, faultMs = { die: 7000, refuse: 7000, hang: 17000 }, recoverWithinMs = 30000, probeGapMs = 150 } = {}) {
  const stack = await startEchoStack(kind);
  const tally = newTally();
  const result = { kind, faults: [] };
  const all = Array.from({ length: accounts }, (_, i) => `acct${i}@example.com`);
  const probeAddr = addressPool(POOL.probe);
  const probe = async (account, timeoutMs) => {
    const s = await openSession(stack.port, clientHeader(`${account}/probe`), { localAddress: probeAddr(), tally, timeoutMs });
    const out = { account, at: Date.now(), backend: s.backend, reason: s.reason, gotBytes: s.echoedBytes > 0 || !!s.backend };
    if (s.backend) {
      await s.roundTrip(64, 5000);
      await s.close(5000);
      out.ok = verifySession(s, stack.byName, tally).length === 0;
    } else {
      s.socket.destroy();
    }
    return out;
  };
  try {
    const home = await probeHomes(stack, all);
    const liveAddr = addressPool(POOL.live);
    for (const [n, fault] of faults.entries()) {
      const victim = stack.backends[n % stack.backends.length];
      const victims = all.filter((a) => home.get(a) === victim.name);
      const others = all.filter((a) => home.get(a) !== victim.name);
      // A live session for every account.
      const live = await inParallel(all, 20, (a) => openSession(stack.port, clientHeader(`${a}/live${n}`), { localAddress: liveAddr(), tally }));
      await Promise.all(live.map((s) => s.roundTrip(128)));
      const onVictim = live.filter((s) => s.backend === victim.name);

      const t0 = Date.now();
      await FAULTS[fault](victim);
      const duringFault = [];
      let k = 0;
      while (Date.now() - t0 < faultMs[fault]) {
        // Victim accounts and others in turn.
        const account = k % 2 === 0 ? victims[(k / 2) % victims.length] : others[((k - 1) / 2) % others.length];
        // A probe waits 4 s: long enough for HAProxy's retry and redispatch
        // (about 2 s); 2 s for a hanging backend, where waiting is all there is.
        duringFault.push({ victim: k % 2 === 0, ...(await probe(account, fault === 'hang' ? 2000 : 4000)) });
        k++;
        await sleep(probeGapMs);
      }
      // What the live clients saw: the victim's closed (die) or still
      // working (refuse, hang: a session already open keeps its server);
      // every other session unaffected.
      const liveResults = await Promise.all(live.map(async (s) => ({ s, closed: s.closed, back: s.closed ? false : await s.roundTrip(128, 5000) })));
      const victimLive = liveResults.filter((x) => x.s.backend === victim.name);
      const otherLive = liveResults.filter((x) => x.s.backend !== victim.name);

      const t1 = Date.now();
      await RECOVER[fault](victim);
      let recoveredAt = null;
      const afterRecovery = [];
      while (Date.now() - t1 < recoverWithinMs) {
        const r = await probe(victims[afterRecovery.length % victims.length], 3000);
        afterRecovery.push(r);
        if (r.backend === victim.name) {
          // Back: every victim account, once more, to be sure.
          const again = await Promise.all(victims.map((a) => probe(a, 3000)));
          if (again.every((x) => x.backend === victim.name)) { recoveredAt = Date.now(); break; }
        }
        await sleep(250);
      }
      const finalHome = await probeHomes(stack, all);
      const notHome = all.filter((a) => finalHome.get(a) !== home.get(a));

      // Close what is open; check every byte.
      await Promise.all(live.map((s) => (s.closed ? null : s.close(5000))));
      for (const s of live) if (s.backend && !(fault === 'die' && s.backend === victim.name)) verifySession(s, stack.byName, tally);

      const victimProbes = duringFault.filter((p) => p.victim);
      const elsewhere = victimProbes.filter((p) => p.backend && p.backend !== victim.name);
      const firstElsewhere = elsewhere.length ? elsewhere[0].at - t0 : null;
      const where = {};
      for (const p of elsewhere) where[p.backend] = (where[p.backend] || 0) + 1;
      result.faults.push({
        fault, victim: victim.name, victimAccounts: victims.length, faultMs: faultMs[fault],
        liveOnVictim: onVictim.length,
        victimLiveClosed: victimLive.filter((x) => x.closed).length,
        victimLiveStillWorking: victimLive.filter((x) => x.back === true).length,
        victimLiveForeignBytes: victimLive.filter((x) => x.s.mismatch).length,
        otherLive: otherLive.length, otherLiveWorking: otherLive.filter((x) => x.back === true).length,
        probesForVictims: victimProbes.length,
        victimProbesElsewhere: elsewhere.length,
        victimProbesFailed: victimProbes.filter((p) => !p.backend).length,
        victimProbesWithForeignBytes: victimProbes.filter((p) => p.backend === null && p.gotBytes).length,
        firstElsewhereMs: firstElsewhere,
        // From when on every probe for a victim account went elsewhere (null: not by the end).
        allElsewhereFromMs: lastElsewhere(victimProbes, victim.name, t0),
        lastVictimProbeElsewhere: victimProbes.length ? !!(victimProbes[victimProbes.length - 1].backend && victimProbes[victimProbes.length - 1].backend !== victim.name) : null,
        victimsWentTo: where,
        otherProbes: duringFault.filter((p) => !p.victim).length,
        otherProbesMoved: duringFault.filter((p) => !p.victim && p.backend !== home.get(p.account)).length,
        recoveredAfterMs: recoveredAt === null ? null : recoveredAt - t1,
        accountsNotHomeAfterRecovery: notHome.length,
      });
    }
    result.tally = { sessions: tally.sessions, bytesUp: tally.bytesUp, bytesDown: tally.bytesDown, mismatches: tally.mismatches, foreignBytes: tally.foreignBytes };
    result.errors = proxyErrors(stack);
    result.problems = tally.problems.slice(0, 20);
    return result;
  } finally {
    await stack.stop();
  }
}

function lastElsewhere(probes, victim, t0) {
  const isElsewhere = (p) => p.backend && p.backend !== victim;
  if (!probes.length || !isElsewhere(probes[probes.length - 1])) return null;
  let i = probes.length - 1;
  while (i > 0 && isElsewhere(probes[i - 1])) i--;
  return i === 0 ? 0 : probes[i].at - t0;
}
