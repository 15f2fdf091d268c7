// Truncated headers, in rounds: each round opens `count` connections that
// send the first `bytes` bytes of a stream header and nothing more. Half of
// them wait: the header timer ($xmpp_header_timeout, 5 s in the example)
// fires and hands each to a backend chosen by its address, and its bytes
// come back. The other half close after `closeAfterMs`, while their timer is
// still pending. This is the load that crashed nginx's worker under
// `js_engine qjs` (repro/quickjs-timer-abort) and what shows whether the
// worker's memory levels off: its RSS is taken after every round.
import { startEchoStack, proxyErrors } from '../stack.mjs';
import { openSession, verifySession, newTally, clientHeader } from '../sessions.mjs';
import { treeRss } from '../proc-stats.mjs';
import { sleep, addressPool } from '../procs.mjs';
import { POOL } from './common.mjs';

/** RSS of the proxy's workers (every process under the master), in KiB. */
export function workerRssKiB(stack) {
  return treeRss(stack.pid).per.slice(1).reduce((a, p) => a + p.rssKiB, 0);
}

export async function truncatedRounds(kind, { rounds = 4, count = 300, bytes = 100, closeAfterMs = 1000, edit } = {}) {
  const stack = await startEchoStack(kind, { edit });
  const tally = newTally();
  const header = clientHeader('trunc@example.com/x').subarray(0, bytes);
  const result = { kind, rounds: [], count, bytes, closeAfterMs, workerRssBeforeKiB: workerRssKiB(stack) };
  const problems = [];
  try {
    const addr = addressPool(POOL.flood);
    for (let round = 0; round < rounds; round++) {
      const waiting = [];
      const closing = [];
      for (let i = 0; i < count; i++) {
        const localAddress = addr();
        if (i % 2 === 0) {
          waiting.push(openSession(stack.port, header, { localAddress, tally, timeoutMs: 30000 }));
        } else {
          // Closes before its header timer fires; never reaches a backend.
          closing.push(openSession(stack.port, header, { localAddress, tally, timeoutMs: closeAfterMs }));
        }
        if (i % 50 === 49) await sleep(10);
      }
      const waited = await Promise.all(waiting);
      const closed = await Promise.all(closing);
      let handed = 0;
      for (const s of waited) {
        if (!s.backend) { problems.push(`round ${round}: a waiting client was not handed over (${s.reason})`); continue; }
        handed++;
        await s.roundTrip(64);
        await s.close();
        problems.push(...verifySession(s, stack.byName, tally));
      }
      await sleep(1000);
      result.rounds.push({
        handed, waiting: waited.length, closedEarly: closed.filter((s) => !s.backend).length,
        workerRssKiB: workerRssKiB(stack), workers: treeRss(stack.pid).per.length - 1,
      });
    }
    const text = stack.proxy.errors() + stack.proxy.proc.output;
    result.workerCrashes = (text.match(/exited on signal \d+/g) || []).length;
    result.assertions = (text.match(/Assertion .*/g) || []).slice(0, 3);
    // A client that closes mid-header while the timer is pending makes nginx
    // log "pending events" (README, slow or silent clients): counted, not
    // an error here.
    result.pendingEventLines = (text.match(/pending events/g) || []).length;
    result.errors = proxyErrors(stack).filter((e) => !/pending events/.test(e));
    result.tally = { sessions: tally.sessions, mismatches: tally.mismatches, foreignBytes: tally.foreignBytes };
    result.problems = [...problems, ...tally.problems].slice(0, 20);
    return result;
  } finally {
    await stack.stop();
  }
}
