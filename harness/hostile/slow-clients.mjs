// Slow clients (slowloris): many connections trickle a stream header one
// byte every few seconds while legitimate clients keep connecting. Both
// example configs hand a connection whose header is not complete after 5 s
// ($xmpp_header_timeout in nginx, tcp-request inspect-delay in HAProxy) to a
// backend chosen by the client's address, with every byte it sent; the slow
// client then trickles on to that backend. nginx does this with njs 0.8 and
// later only; with njs 0.7 (Debian 12), or with the header timeout off
// (headerTimeout: '0'), nginx's preread_timeout (10 s) closes it instead and
// nothing is forwarded (see README, "Slow or silent clients").
import { startEchoStack, proxyErrors } from '../stack.mjs';
import { openSession, verifySession, newTally } from '../sessions.mjs';
import { percentile } from '../args.mjs';
import { treeRss, treeCpuMs, watchRss } from '../proc-stats.mjs';
import { sleep, waitFor, addressPool } from '../procs.mjs';
import { POOL, probeHomes, legitLoad, latencyFigures, accessLog } from './common.mjs';

const SLOW_HEADER = Buffer.from("<?xml version='1.0'?><stream:stream from='slow@example.com' to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>");

export async function slowClients(kind, { slow = 500, everyMs = 2000, bytesEach = 8, legit = 100, legitGapMs = 25, accounts = 60, headerTimeout } = {}) {
  const edit = headerTimeout === undefined ? undefined : (t) => t.replace(/js_var \$xmpp_header_timeout [^;]*;/, `js_var $xmpp_header_timeout ${headerTimeout};`);
  const stack = await startEchoStack(kind, { edit });
  const tally = newTally();
  const result = { kind, slow, everyMs, bytesEach, headerTimeout: headerTimeout ?? 'as in the example' };
  try {
    const homes = await probeHomes(stack, Array.from({ length: accounts }, (_, i) => `user${i}@example.com`));
    const rssBefore = treeRss(stack.pid).totalKiB;
    let cpu = treeCpuMs(stack.pid);
    const baseline = await legitLoad(stack, homes, { count: legit, tally });
    const baselineCpu = treeCpuMs(stack.pid) - cpu;

    // The attack: every slow client from its own address (a per-address
    // limit is another defence, shown in hot-spotting).
    const addr = addressPool(POOL.slow);
    const watch = watchRss(stack.pid);
    cpu = treeCpuMs(stack.pid);
    const started = Date.now();
    const sessions = [];
    const opening = [];
    for (let i = 0; i < slow; i++) {
      opening.push(openSession(stack.port, Buffer.alloc(0), {
        localAddress: addr(), tally, timeoutMs: bytesEach * everyMs + 30000,
        trickle: { bytes: SLOW_HEADER.subarray(0, bytesEach), everyMs },
        onConnect: (s) => sessions.push(s),
      }));
      if (i % 50 === 49) await sleep(20); // a ramp, not a SYN flood
    }
    await waitFor(() => sessions.length === slow, { timeoutMs: 30000, what: 'slow clients to connect' });
    const held = () => sessions.filter((s) => !s.closed && !s.backend).length;
    // Legitimate sessions while the slow ones hold the proxy, until the
    // first of them is handed to a backend or closed.
    const underAttack = await legitLoad(stack, homes, { count: legit, until: () => sessions.some((s) => s.closed || s.backend), tally, during: held, pool: POOL.fresh, gapMs: legitGapMs });
    // And after that, while the slow ones trickle on.
    const trickling = () => sessions.some((s) => s.trickling);
    const afterHandOver = await legitLoad(stack, homes, { count: Math.ceil(legit / 4), until: () => !trickling(), tally, pool: POOL.fresh, gapMs: legitGapMs * 4 });
    await waitFor(() => !trickling(), { timeoutMs: bytesEach * everyMs + 30000, what: 'slow clients to finish trickling' });
    const attackCpu = treeCpuMs(stack.pid) - cpu; // while the slow ones were held
    await Promise.all(opening);
    const peakKiB = watch.stop();

    // What became of the slow clients: handed over (greeting) or closed.
    const handed = sessions.filter((s) => s.backend);
    const closedEarly = sessions.filter((s) => !s.backend);
    const handedAfterMs = handed.map((s) => s.greetedAt - s.connectedAt);
    const closedAfterMs = closedEarly.map((s) => (s.closedAt ?? Date.now()) - s.connectedAt);
    const sentBeforeClose = closedEarly.map((s) => s.sentBytes);
    // The ones handed over finish their trickle, get it all back, and close.
    for (const s of handed) await s.drained(10000);
    const closeResults = await Promise.all(handed.map((s) => s.close()));
    const slowProblems = [];
    handed.forEach((s, i) => { if (!closeResults[i]) slowProblems.push(`slow ${s.localAddress}: not every byte came back`); slowProblems.push(...verifySession(s, stack.byName, tally)); });
    await sleep(500);
    const log = accessLog(stack);
    // What HAProxy says it could not log (harness/proxies.mjs droppedLogs).
    const droppedLogs = stack.proxy.droppedLogs ? await stack.proxy.droppedLogs() : 0;
    const logged = handed.map((s) => log.get(`${s.localAddress}:${s.localPort}`)).filter(Boolean);
    const closedLogged = closedEarly.map((s) => log.get(`${s.localAddress}:${s.localPort}`)).filter(Boolean);
    const reachedBackend = new Set(handed.map((s) => `${s.backend}/${s.id}`));

    Object.assign(result, {
      baseline: { ...latencyFigures(baseline.latencies), ok: baseline.ok, sessions: baseline.sessions, wrongBackend: baseline.wrongBackend, cpuMs: baselineCpu },
      underAttack: {
        ...latencyFigures(underAttack.latencies), ok: underAttack.ok, sessions: underAttack.sessions, wrongBackend: underAttack.wrongBackend,
        whileAllHeld: underAttack.samples.filter((n) => n === slow).length, cpuMs: attackCpu,
      },
      afterHandOver: { ...latencyFigures(afterHandOver.latencies), ok: afterHandOver.ok, sessions: afterHandOver.sessions, wrongBackend: afterHandOver.wrongBackend },
      slowClients: {
        connected: sessions.length,
        handedToBackend: handed.length,
        closedByProxy: closedEarly.length,
        handedAfterMs: { p50: percentile(handedAfterMs, 50), min: handedAfterMs.length ? Math.min(...handedAfterMs) : null, max: handedAfterMs.length ? Math.max(...handedAfterMs) : null },
        closedAfterMs: { p50: percentile(closedAfterMs, 50), min: closedAfterMs.length ? Math.min(...closedAfterMs) : null, max: closedAfterMs.length ? Math.max(...closedAfterMs) : null },
        bytesSentByClosed: closedEarly.length ? Math.max(...sentBeforeClose) : 0,
        loggedByAddr: logged.filter((e) => e.routeBy === 'addr').length,
        loggedIncomplete: logged.filter((e) => e.stream === 'incomplete').length,
        logged: logged.length,
        closedLogged: closedLogged.length,
        droppedLogs,
        distinctBackendConnections: reachedBackend.size,
      },
      rssKiB: { before: rssBefore, peak: peakKiB, after: treeRss(stack.pid).totalKiB },
      elapsedMs: Date.now() - started,
      tally: { sessions: tally.sessions, bytesUp: tally.bytesUp, bytesDown: tally.bytesDown, mismatches: tally.mismatches, foreignBytes: tally.foreignBytes },
      errors: proxyErrors(stack),
      problems: [...baseline.problems, ...underAttack.problems, ...afterHandOver.problems, ...slowProblems, ...tally.problems].slice(0, 20),
    });
    return result;
  } finally {
    await stack.stop();
  }
}
