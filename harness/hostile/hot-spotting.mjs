// Hot-spotting: 'from' is chosen by the client before anyone authenticated
// it, so an attacker can find 'from' values that all hash to one backend and
// pile connections onto it. Measured: how many connections the attacker gets
// onto its target, with the per-address limit of the example configs and
// without it (removed by an edit), and what legitimate clients see meanwhile.
import { startEchoStack, proxyErrors } from '../stack.mjs';
import { openSession, verifySession, newTally, clientHeader } from '../sessions.mjs';
import { addressPool, inParallel } from '../procs.mjs';
import { treeRss } from '../proc-stats.mjs';
import { POOL, probeHomes, legitLoad, latencyFigures } from './common.mjs';

/** The example configs without their per-address limit, to measure what the
 * limit prevents. */
export function withoutLimit(kind) {
  return kind === 'nginx'
    ? (t) => t.replace(/^\s*limit_conn xmpp_per_address[^\n]*\n/m, '')
    : (t) => t.replace(/^\s*tcp-request connection reject if \{ sc_conn_cur\(0\)[^\n]*\n/gm, '');
}

export async function hotSpotting(kind, { addresses = 2, perAddress = 250, hashesWanted = 30, legit = 60, limit = true, target = 'c2s-2' } = {}) {
  const stack = await startEchoStack(kind, { edit: limit ? undefined : withoutLimit(kind) });
  const tally = newTally();
  const result = { kind, limit: limit ? 'as in the example (100 per address)' : 'removed', addresses, perAddress };
  try {
    // What an attacker does first: try 'from' values until enough land on
    // the target (here it reads the backend's greeting; a real attacker
    // would tell servers apart by their certificates or stream ids). They
    // are accounts of the service's domain: a 'from' of another domain than
    // 'to' is ignored (core/key.ts streamRoute), so an attacker forges both.
    const candidates = Array.from({ length: hashesWanted * 6 }, (_, i) => `x${i}@example.com`);
    const placed = await probeHomes(stack, candidates);
    const hot = candidates.filter((c) => placed.get(c) === target).slice(0, hashesWanted);
    const homes = await probeHomes(stack, Array.from({ length: 60 }, (_, i) => `user${i}@example.com`));
    const legitOnTarget = new Map([...homes].filter(([, b]) => b === target));
    const baseline = await legitLoad(stack, homes, { count: legit, tally });
    const baselineOnTarget = await legitLoad(stack, legitOnTarget, { count: Math.ceil(legit / 2), tally });
    const liveBefore = Object.fromEntries(stack.backends.map((b) => [b.name, b.live()]));

    // The attack: `perAddress` connections from each of `addresses`
    // addresses, all at once, every one with a 'from' that hashes to the target.
    const attackers = Array.from({ length: addresses }, addressPool(POOL.attacker));
    const jobs = [];
    for (const a of attackers) for (let i = 0; i < perAddress; i++) jobs.push({ address: a, from: hot[i % hot.length] });
    const sessions = await inParallel(jobs, 200, (j, i) => openSession(stack.port, clientHeader(`${j.from}/${i}`), { localAddress: j.address, tally, timeoutMs: 15000 }));
    const accepted = sessions.filter((s) => s.backend);
    const onBackend = {};
    for (const s of accepted) onBackend[s.backend] = (onBackend[s.backend] || 0) + 1;
    const perAttackerAddress = Object.fromEntries(attackers.map((a) => [a, accepted.filter((s) => s.localAddress === a).length]));
    const liveDuring = Object.fromEntries(stack.backends.map((b) => [b.name, b.live()]));
    const rssDuring = treeRss(stack.pid).totalKiB;

    // Legitimate clients while the attacker holds its connections: those of
    // the target's accounts, and everyone.
    const duringOnTarget = await legitLoad(stack, legitOnTarget, { count: Math.ceil(legit / 2), tally, pool: POOL.fresh });
    const during = await legitLoad(stack, homes, { count: legit, tally, pool: POOL.fresh });

    // The attacker's accepted connections carry bytes like any other.
    await Promise.all(accepted.map((s) => s.roundTrip(64)));
    await Promise.all(sessions.map((s) => s.close()));
    for (const s of accepted) verifySession(s, stack.byName, tally);

    Object.assign(result, {
      hashesFound: hot.length, probesNeeded: candidates.length,
      attack: {
        connections: jobs.length, accepted: accepted.length, rejected: sessions.length - accepted.length,
        rejectedReasons: [...new Set(sessions.filter((s) => !s.backend).map((s) => s.reason))],
        onBackend, perAttackerAddress,
        backendConnectionsBefore: liveBefore, backendConnectionsDuring: liveDuring,
      },
      legit: {
        baseline: { ...latencyFigures(baseline.latencies), ok: baseline.ok, sessions: baseline.sessions },
        baselineOnTarget: { ...latencyFigures(baselineOnTarget.latencies), ok: baselineOnTarget.ok, sessions: baselineOnTarget.sessions },
        during: { ...latencyFigures(during.latencies), ok: during.ok, sessions: during.sessions },
        duringOnTarget: { ...latencyFigures(duringOnTarget.latencies), ok: duringOnTarget.ok, sessions: duringOnTarget.sessions },
        wrongBackend: baseline.wrongBackend + during.wrongBackend + duringOnTarget.wrongBackend + baselineOnTarget.wrongBackend,
      },
      rssKiBDuring: rssDuring,
      tally: { sessions: tally.sessions, bytesUp: tally.bytesUp, bytesDown: tally.bytesDown, mismatches: tally.mismatches, foreignBytes: tally.foreignBytes },
      errors: proxyErrors(stack),
      problems: [...baseline.problems, ...during.problems, ...duringOnTarget.problems, ...tally.problems].slice(0, 20),
    });
    return result;
  } finally {
    await stack.stop();
  }
}
