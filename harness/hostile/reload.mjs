// Reload under load: `live` sessions are open (one account each) and new
// ones keep arriving while the proxy reloads with one backend more (nginx:
// HUP, what `nginx -s reload` sends; HAProxy master-worker: USR2), then once
// more unchanged. No live session may be dropped or lose a byte; new sessions
// follow the new config; adding one backend to N moves about 1/(N+1) of the
// accounts, all of them to the new backend.
import { startEchoStack, addBackendAndReload, reload, proxyErrors } from '../stack.mjs';
import { openSession, verifySession, newTally, clientHeader } from '../sessions.mjs';
import { treeRss, processTree } from '../proc-stats.mjs';
import { sleep, addressPool, inParallel } from '../procs.mjs';
import { POOL, probeHomes, latencyFigures } from './common.mjs';

export async function reloadUnderLoad(kind, { live = 1000, arrivalGapMs = 20, reloads = 2, settleMs = 1000 } = {}) {
  const stack = await startEchoStack(kind);
  const tally = newTally();
  const result = { kind, live, reloads };
  const accounts = Array.from({ length: live }, (_, i) => `acct${i}@example.com`);
  try {
    // The live sessions, one per account, each from its own address.
    const liveAddr = addressPool(POOL.live);
    const sessions = await inParallel(accounts, 100, (a) => openSession(stack.port, clientHeader(`${a}/live`), { localAddress: liveAddr(), tally, timeoutMs: 30000 }));
    const home = new Map(accounts.map((a, i) => [a, sessions[i].backend]));
    const opened = sessions.filter((s) => s.backend).length;
    await Promise.all(sessions.map((s) => s.roundTrip(256)));
    const rssBefore = treeRss(stack.pid).totalKiB;

    // New sessions keep arriving, for the same accounts, throughout.
    const arrivals = [];
    let arriving = true;
    const arrivalAddr = addressPool(POOL.fresh);
    const arrivalLoop = (async () => {
      let i = 0;
      while (arriving && i < 100000) {
        const account = accounts[(i * 7) % accounts.length];
        const startedAt = Date.now();
        arrivals.push((async () => {
          const s = await openSession(stack.port, clientHeader(`${account}/new`), { localAddress: arrivalAddr(), tally });
          if (s.backend) { await s.roundTrip(128); await s.close(); verifySession(s, stack.byName, tally); }
          return { account, startedAt, backend: s.backend, greetingMs: s.greetingMs, ok: !!s.backend && !s.mismatch && s.pendingBytes === 0 };
        })());
        i++;
        await sleep(arrivalGapMs);
      }
    })();

    await sleep(1000);
    const reloadsDone = [];
    let added = null;
    let rssPeak = rssBefore;
    for (let r = 0; r < reloads; r++) {
      const startedAt = Date.now();
      if (r === 0) added = await addBackendAndReload(stack, 'c2s-4');
      else await reload(stack);
      const workers = processTree(stack.pid).length - 1;
      reloadsDone.push({ startedAt, doneAt: Date.now(), processesAfter: workers });
      // Live sessions carry bytes through the reload.
      await Promise.all(sessions.map((s) => s.roundTrip(256)));
      rssPeak = Math.max(rssPeak, treeRss(stack.pid).totalKiB);
      await sleep(settleMs);
    }
    const settledAt = Date.now();

    // Where every account lands now.
    const newHome = await probeHomes(stack, accounts, { width: 20, pool: POOL.probe });
    arriving = false;
    await arrivalLoop;
    const arrived = await Promise.all(arrivals);

    const moved = accounts.filter((a) => newHome.get(a) !== home.get(a));
    const movedTo = {};
    for (const a of moved) movedTo[newHome.get(a)] = (movedTo[newHome.get(a)] || 0) + 1;

    // Arrivals before the first reload must be at home, after the last one
    // settled at the new home; in between either.
    const firstReload = reloadsDone[0].startedAt;
    const before = arrived.filter((x) => x.startedAt < firstReload);
    const after = arrived.filter((x) => x.startedAt >= settledAt);
    const between = arrived.filter((x) => x.startedAt >= firstReload && x.startedAt < settledAt);
    const misrouted = [
      ...before.filter((x) => x.backend !== home.get(x.account)),
      ...after.filter((x) => x.backend !== newHome.get(x.account)),
      ...between.filter((x) => x.backend !== home.get(x.account) && x.backend !== newHome.get(x.account)),
    ];

    // The live sessions: none dropped, every byte back, then closed.
    const droppedLive = sessions.filter((s) => s.backend && s.closedByPeer).length;
    await Promise.all(sessions.map((s) => s.roundTrip(256)));
    const closed = await Promise.all(sessions.map((s) => (s.backend ? s.close() : false)));
    const liveProblems = [];
    sessions.forEach((s, i) => { if (s.backend) liveProblems.push(...verifySession(s, stack.byName, tally)); if (s.backend && !closed[i]) liveProblems.push(`${s.backend}/${s.id}: did not close cleanly`); });
    await sleep(500);

    Object.assign(result, {
      liveOpened: opened,
      liveDropped: droppedLive,
      liveIntact: sessions.filter((s, i) => s.backend && closed[i]).length,
      liveBytesEach: 256 * (2 + reloads),
      reloads: reloadsDone.map((r) => ({ ms: r.doneAt - r.startedAt, processesAfter: r.processesAfter })),
      arrivals: {
        total: arrived.length, ok: arrived.filter((x) => x.ok).length, failed: arrived.filter((x) => !x.ok).length,
        beforeReload: before.length, duringReload: between.length, afterReload: after.length, misrouted: misrouted.length,
        latency: latencyFigures(arrived.filter((x) => x.ok).map((x) => x.greetingMs)),
        latencyDuringReload: latencyFigures(between.filter((x) => x.ok).map((x) => x.greetingMs)),
      },
      accounts: accounts.length,
      moved: moved.length,
      movedShare: Math.round((moved.length / accounts.length) * 1000) / 1000,
      movedTo,
      newBackendGot: added ? accounts.filter((a) => newHome.get(a) === added.name).length : 0,
      spreadBefore: countValues(home), spreadAfter: countValues(newHome),
      rssKiB: { before: rssBefore, peak: rssPeak, after: treeRss(stack.pid).totalKiB },
      tally: { sessions: tally.sessions, bytesUp: tally.bytesUp, bytesDown: tally.bytesDown, mismatches: tally.mismatches, foreignBytes: tally.foreignBytes },
      errors: proxyErrors(stack),
      problems: [...liveProblems, ...misrouted.slice(0, 5).map((x) => `${x.account} arrived on ${x.backend}`), ...tally.problems].slice(0, 20),
    });
    return result;
  } finally {
    await stack.stop();
  }
}

function countValues(map) {
  const out = {};
  for (const v of map.values()) out[v] = (out[v] || 0) + 1;
  return out;
}
