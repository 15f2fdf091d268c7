// Reconnect storm: `clients` live sessions (one account and one address
// each); `restart` backends die and listen again `downMs` later; every
// client that lost its session reconnects at once, and again every 200 ms
// until it is back (no backoff, no jitter: the worst case). Measured: how
// long until all are back, how many attempts that took, where they landed,
// and whether anyone else noticed.
import { startEchoStack, proxyErrors } from '../stack.mjs';
import { openSession, verifySession, newTally, clientHeader } from '../sessions.mjs';
import { percentile } from '../args.mjs';
import { treeRss, treeCpuMs } from '../proc-stats.mjs';
import { sleep, waitFor, addressPool, inParallel } from '../procs.mjs';
import { POOL } from './common.mjs';

export async function reconnectStorm(kind, { clients = 600, restart = 1, downMs = 1000, retryMs = 200, giveUpMs = 60000 } = {}) {
  const stack = await startEchoStack(kind);
  const tally = newTally();
  const result = { kind, clients, restart, downMs };
  try {
    const addr = addressPool(POOL.storm);
    const people = Array.from({ length: clients }, (_, i) => ({ account: `storm${i}@example.com`, address: addr(), session: null, home: null, history: [] }));
    const open = (p) => openSession(stack.port, clientHeader(`${p.account}/storm`), { localAddress: p.address, tally, timeoutMs: 5000 });
    await inParallel(people, 100, async (p) => {
      p.session = await open(p);
      p.home = p.session.backend;
      await p.session.roundTrip(128);
    });
    const victims = stack.backends.slice(0, restart);
    const victimNames = new Set(victims.map((b) => b.name));
    const affected = people.filter((p) => victimNames.has(p.home));
    const unaffected = people.filter((p) => !victimNames.has(p.home));
    const rssBefore = treeRss(stack.pid).totalKiB;
    const cpu0 = treeCpuMs(stack.pid);

    let t0 = 0;
    const back = [];
    const reconnect = async (p) => {
      const lostAt = Date.now();
      let attempts = 0;
      while (Date.now() - lostAt < giveUpMs) {
        attempts++;
        const s = await open(p);
        if (s.backend && (await s.roundTrip(64, 5000))) {
          p.session = s;
          back.push({ p, backend: s.backend, at: Date.now(), attempts });
          return;
        }
        if (!s.closed) s.socket.destroy();
        await sleep(retryMs);
      }
      back.push({ p, backend: null, at: Date.now(), attempts });
    };
    const reconnects = [];
    for (const p of affected) {
      p.session.socket.once('close', () => { if (t0) reconnects.push(reconnect(p)); });
    }

    t0 = Date.now();
    await Promise.all(victims.map((b) => b.die()));
    await sleep(downMs);
    await Promise.all(victims.map((b) => b.listen()));
    const upAt = Date.now();
    await waitFor(() => back.length === affected.length, { timeoutMs: giveUpMs + 10000, what: 'every client to reconnect' });
    await Promise.all(reconnects);
    const cpuMs = treeCpuMs(stack.pid) - cpu0;
    const rssAfterStorm = treeRss(stack.pid).totalKiB;

    // The others never noticed: their sessions carry bytes as before.
    const unaffectedOk = (await Promise.all(unaffected.map((p) => (p.session.closed ? false : p.session.roundTrip(64, 5000))))).filter(Boolean).length;

    const landed = {};
    for (const b of back) landed[b.backend] = (landed[b.backend] || 0) + 1;
    const now = {};
    for (const p of people) now[p.session.backend] = (now[p.session.backend] || 0) + 1;
    const times = back.filter((b) => b.backend).map((b) => b.at - t0);
    const attempts = back.map((b) => b.attempts);

    // Close everything; check every byte of every session still open.
    await Promise.all(people.map((p) => p.session.close(10000)));
    for (const p of people) verifySession(p.session, stack.byName, tally);

    Object.assign(result, {
      affected: affected.length, reconnected: back.filter((b) => b.backend).length, gaveUp: back.filter((b) => !b.backend).length,
      allBackAfterMs: times.length ? Math.max(...times) : null,
      backAfterMs: { p50: percentile(times, 50), p99: percentile(times, 99) },
      backendDownMs: upAt - t0,
      attempts: { total: attempts.reduce((a, b) => a + b, 0), max: attempts.length ? Math.max(...attempts) : 0, p50: percentile(attempts, 50) },
      landed, landedHome: back.filter((b) => b.backend === b.p.home).length,
      spreadAfter: now,
      unaffected: unaffected.length, unaffectedOk,
      proxyCpuMs: cpuMs,
      rssKiB: { before: rssBefore, afterStorm: rssAfterStorm },
      tally: { sessions: tally.sessions, bytesUp: tally.bytesUp, bytesDown: tally.bytesDown, mismatches: tally.mismatches, foreignBytes: tally.foreignBytes },
      errors: proxyErrors(stack),
      problems: tally.problems.slice(0, 20),
    });
    return result;
  } finally {
    await stack.stop();
  }
}
