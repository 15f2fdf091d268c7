// Floods: thousands of connections that send nothing, junk, or a header far
// over the limit, while legitimate clients keep connecting; then headers sent
// one byte per TCP segment, for what that costs the proxy. Measured: the
// proxy's RSS (before, peak, after) and CPU, legitimate latency, and every
// byte of every junk and oversized connection echoed back unchanged.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { startEchoStack, proxyErrors } from '../stack.mjs';
import { openSession, verifySession, newTally, clientHeader } from '../sessions.mjs';
import { treeRss, treeCpuMs, watchRss } from '../proc-stats.mjs';
import { sleep, addressPool, inParallel } from '../procs.mjs';
import { POOL, probeHomes, legitLoad, latencyFigures, accessLogEntries } from './common.mjs';

/** Bytes that are not XML from the first byte on (routed at once). */
function junk(rng) {
  const b = randomBytes(512 + rng % 3584);
  b[0] = 0x41 + (rng % 26); // a letter: neither '<', white space nor a byte order mark
  return b;
}

function oversized(limitBytes = 8192) {
  // A stream header whose 'from' never ends within the limit, and then some.
  return Buffer.from(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' from='${'a'.repeat(limitBytes + 12000)}@example.com'>`);
}

/** Sends `bytes` one per write (TCP_NODELAY: one segment each, as far as the
 * kernel allows), reads the greeting and the echo, then closes (not before:
 * nginx drops a client that half-closes before its route is decided);
 * resolves to the bytes that came back after the greeting. */
function dribble(port, bytes, localAddress) {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host: '127.0.0.1', localAddress, noDelay: true });
    const chunks = [];
    let received = 0;
    let at = 0;
    const pump = () => {
      // A few bytes per turn of the event loop, each its own write.
      for (let k = 0; k < 8 && at < bytes.length; k++) socket.write(bytes.subarray(at, ++at));
      if (at < bytes.length) setImmediate(pump);
    };
    socket.on('connect', pump);
    socket.on('data', (d) => {
      chunks.push(d);
      received += d.length;
      const all = Buffer.concat(chunks);
      const nl = all.indexOf(10);
      if (nl >= 0 && received - nl - 1 >= bytes.length) socket.end();
    });
    socket.on('error', () => {});
    const timer = setTimeout(() => socket.destroy(), 60000);
    socket.on('close', () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks);
      const nl = all.indexOf(10);
      resolve(nl < 0 ? null : all.subarray(nl + 1));
    });
  });
}

export async function floods(kind, {
  silent = 600, junkCount = 1000, junkWidth = 100, oversizedCount = 600, oversizedWidth = 50,
  addresses = 60, legit = 60, dribbles = 40, dribbleBytes = 8000, rounds = 1, edit,
} = {}) {
  const stack = await startEchoStack(kind, { edit });
  const tally = newTally();
  const result = { kind, silent, junk: junkCount, oversized: oversizedCount, addresses, dribbles, dribbleBytes, rounds };
  try {
    const homes = await probeHomes(stack, Array.from({ length: 60 }, (_, i) => `user${i}@example.com`));
    const rssBefore = treeRss(stack.pid).totalKiB;
    const baseline = await legitLoad(stack, homes, { count: legit, tally });

    // The flood comes from `addresses` addresses, round robin: each holds
    // fewer connections than the per-address limit of the example configs
    // (the limit itself is shown in hot-spotting). It runs `rounds` times:
    // memory that grew with every round would be a leak.
    const floodAddresses = Array.from({ length: addresses }, addressPool(POOL.flood));
    let n = 0;
    const from = () => floodAddresses[n++ % addresses];
    const rssRounds = [];
    const silentAll = [];
    const junkResults = { sessions: 0, ok: 0, bytes: 0, notHanded: 0 };
    const oversizedResults = { sessions: 0, ok: 0, bytes: 0, notHanded: 0 };
    const underAttack = { sessions: 0, ok: 0, wrongBackend: 0, latencies: [], problems: [] };
    const cpu0 = treeCpuMs(stack.pid);
    const started = Date.now();
    for (let round = 0; round < rounds; round++) {
      const watch = watchRss(stack.pid, 100);
      let flooding = true;
      const silentDone = (async () => {
        const opening = [];
        for (let i = 0; i < silent; i++) {
          opening.push(openSession(stack.port, Buffer.alloc(0), { localAddress: from(), timeoutMs: 30000 }));
          if (i % 100 === 99) await sleep(10);
        }
        const all = await Promise.all(opening);
        // Routed by address (HAProxy) or closed by preread_timeout (nginx):
        // either way nothing was sent, nothing can be lost. Close the rest.
        await Promise.all(all.filter((s) => !s.closed).map((s) => s.close()));
        return all;
      })();
      const churn = async (count, width, makeBytes, out) => {
        await inParallel(Array.from({ length: count }, (_, i) => i), width, async (i) => {
          const bytes = makeBytes(i);
          const s = await openSession(stack.port, bytes, { localAddress: from(), tally, timeoutMs: 30000 });
          out.sessions++;
          if (!s.backend) { out.notHanded++; return; }
          await s.drained(20000);
          await s.close();
          const problems = verifySession(s, stack.byName, tally);
          if (problems.length === 0) { out.ok++; out.bytes += bytes.length; }
        });
      };
      const big = oversized();
      const floodDone = Promise.all([
        churn(junkCount, junkWidth, (i) => junk(i * 7919 + round), junkResults),
        churn(oversizedCount, oversizedWidth, () => big, oversizedResults),
        silentDone,
      ]).then(() => { flooding = false; });
      const legitNow = await legitLoad(stack, homes, { count: legit, until: () => !flooding, tally, pool: POOL.fresh, gapMs: 25 });
      await floodDone;
      silentAll.push(...(await silentDone));
      underAttack.sessions += legitNow.sessions;
      underAttack.ok += legitNow.ok;
      underAttack.wrongBackend += legitNow.wrongBackend;
      underAttack.latencies.push(...legitNow.latencies);
      underAttack.problems.push(...legitNow.problems);
      const peakKiB = watch.stop();
      await sleep(1000);
      rssRounds.push({ peakKiB, afterKiB: treeRss(stack.pid).totalKiB });
    }
    const floodMs = Date.now() - started;
    const floodCpuMs = treeCpuMs(stack.pid) - cpu0;
    const log = accessLogEntries(stack);
    // What HAProxy says it could not log (harness/proxies.mjs droppedLogs).
    const droppedLogs = stack.proxy.droppedLogs ? await stack.proxy.droppedLogs() : 0;
    const silentRouted = silentAll.filter((s) => s.backend).length;

    // Headers one byte per segment, versus the same headers whole: proxy CPU.
    const dribbleHeader = Buffer.from(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' from='${'d'.repeat(Math.max(1, dribbleBytes - 140))}@example.com'>`);
    let cpu = treeCpuMs(stack.pid);
    const dribbled = await inParallel(Array.from({ length: dribbles }, (_, i) => i), 10, () => dribble(stack.port, dribbleHeader, from()));
    const dribbleCpuMs = treeCpuMs(stack.pid) - cpu;
    cpu = treeCpuMs(stack.pid);
    // `dribbles` sessions that send `header` whole, checked both ways.
    const wholeHeaders = (header) => inParallel(Array.from({ length: dribbles }, (_, i) => i), 10, async () => {
      const s = await openSession(stack.port, header, { localAddress: from(), tally });
      if (s.backend) { await s.drained(); await s.close(); verifySession(s, stack.byName, tally); }
      return s;
    });
    const wholeSessions = await wholeHeaders(dribbleHeader);
    const wholeCpuMs = treeCpuMs(stack.pid) - cpu;
    // The same length of header whose localpart is all non-ASCII letters:
    // each is case-mapped, the dearest thing the module does per byte.
    const nonAsciiHeader = Buffer.from(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='example.com' from='${'\u00c9'.repeat(Math.max(1, Math.floor((dribbleBytes - 140) / 2)))}@example.com'>`);
    cpu = treeCpuMs(stack.pid);
    const nonAscii = await wholeHeaders(nonAsciiHeader);
    const nonAsciiCpuMs = treeCpuMs(stack.pid) - cpu;
    const dribbleIntact = dribbled.filter((b) => b && b.equals(dribbleHeader)).length;

    Object.assign(result, {
      baseline: { ...latencyFigures(baseline.latencies), ok: baseline.ok, sessions: baseline.sessions },
      underAttack: { ...latencyFigures(underAttack.latencies), ok: underAttack.ok, sessions: underAttack.sessions, wrongBackend: underAttack.wrongBackend + baseline.wrongBackend },
      rounds,
      flood: {
        ms: floodMs, cpuMs: floodCpuMs,
        connections: rounds * (silent + junkCount + oversizedCount),
        silent: { connections: silentAll.length, routedByAddress: silentRouted, closedByProxy: silentAll.length - silentRouted },
        junk: junkResults, oversized: oversizedResults,
        loggedTooLong: log.filter((e) => e.stream === 'too-long').length,
        loggedNotXml: log.filter((e) => e.stream === 'not-xml').length,
        droppedLogs,
      },
      dribble: {
        connections: dribbles, headerBytes: dribbleHeader.length,
        intact: dribbleIntact,
        proxyCpuMsPerConnection: Math.round((dribbleCpuMs / dribbles) * 100) / 100,
        wholeHeaderCpuMsPerConnection: Math.round((wholeCpuMs / dribbles) * 100) / 100,
        wholeHandedOver: wholeSessions.filter((s) => s.backend).length,
        nonAsciiHeaderBytes: nonAsciiHeader.length,
        nonAsciiHeaderCpuMsPerConnection: Math.round((nonAsciiCpuMs / dribbles) * 100) / 100,
        nonAsciiHandedOver: nonAscii.filter((s) => s.backend).length,
      },
      rssKiB: {
        before: rssBefore, rounds: rssRounds, peak: Math.max(...rssRounds.map((r) => r.peakKiB)), after: rssRounds[rssRounds.length - 1].afterKiB,
        // Per connection held at once (the silent ones, and the churn's width).
        peakGrowthPerHeldConnection: Math.round(((rssRounds[0].peakKiB - rssBefore) / (silent + junkWidth + oversizedWidth)) * 10) / 10,
      },
      tally: { sessions: tally.sessions, bytesUp: tally.bytesUp, bytesDown: tally.bytesDown, mismatches: tally.mismatches, foreignBytes: tally.foreignBytes },
      errors: proxyErrors(stack),
      problems: [...baseline.problems, ...underAttack.problems, ...tally.problems].slice(0, 20),
    });
    return result;
  } finally {
    await stack.stop();
  }
}
