// What the hostile-client scenarios share: legitimate sessions (their own
// source addresses, accounts whose backend is known beforehand), latency
// figures, and the proxy's access log read back.
import { openSession, verifySession, clientHeader } from '../sessions.mjs';
import { percentile } from '../args.mjs';
import { sleep, addressPool, inParallel } from '../procs.mjs';

/** Source address pools (127.<pool>.0.0/16), one per kind of client. */
export const POOL = { legit: 1, slow: 2, flood: 3, attacker: 4, probe: 5, live: 6, storm: 7, fresh: 8 };

/** Where each account lands now: one short session per account. */
export async function probeHomes(stack, accounts, { width = 8, pool = POOL.probe, port = stack.port } = {}) {
  const addr = addressPool(pool);
  const homes = new Map();
  await inParallel(accounts, width, async (account) => {
    const s = await openSession(port, clientHeader(`${account}/probe`), { localAddress: addr() });
    homes.set(account, s.backend);
    if (s.backend) await s.close();
  });
  return homes;
}

/**
 * One legitimate session: header with `from`, a round trip of `bytes`
 * random bytes, close; checked against the backend. Returns { ok, backend,
 * greetingMs, problems }.
 */
export async function legitSession(stack, account, { localAddress, tally, bytes = 512, port = stack.port } = {}) {
  const s = await openSession(port, clientHeader(`${account}/legit`), { localAddress, tally });
  if (!s.backend) return { ok: false, backend: null, problems: [`${account}: no backend (${s.reason})`] };
  await s.roundTrip(bytes);
  await s.close();
  const problems = verifySession(s, stack.byName, tally);
  return { ok: problems.length === 0, backend: s.backend, greetingMs: s.greetingMs, problems };
}

/**
 * Legitimate sessions, `width` at a time, for the accounts of `homes`
 * in turn: `count` of them, or as many as fit until `until()` is true (at
 * least `count`). Every one must land on its account's backend with its
 * bytes intact. `during()` is sampled after each session.
 */
export async function legitLoad(stack, homes, { count = 100, width = 4, until, tally, pool = POOL.legit, during, gapMs = 0 } = {}) {
  const addr = addressPool(pool);
  const accounts = [...homes.keys()];
  const out = { sessions: 0, ok: 0, wrongBackend: 0, failed: 0, latencies: [], problems: [], samples: [] };
  let next = 0;
  const worker = async () => {
    while (next < count || (until && !until())) {
      if (next >= count * 200) break; // bounded whatever until() says
      const account = accounts[next++ % accounts.length];
      const r = await legitSession(stack, account, { localAddress: addr(), tally });
      out.sessions++;
      if (r.backend && r.backend !== homes.get(account)) { out.wrongBackend++; out.problems.push(`${account} landed on ${r.backend}, not ${homes.get(account)}`); }
      if (r.ok) { out.ok++; out.latencies.push(r.greetingMs); } else { out.failed++; out.problems.push(...r.problems); }
      if (during) out.samples.push(during());
      if (gapMs) await sleep(gapMs);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  out.problems = out.problems.slice(0, 20);
  return out;
}

export function latencyFigures(latencies) {
  return { n: latencies.length, p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.length ? Math.max(...latencies) : null };
}

/**
 * The proxy's access log (nginx) or log output (HAProxy): every finished
 * session's entry, in the order logged. Values as logged (HAProxy's in hex,
 * decoded here).
 */
export function accessLogEntries(stack) {
  const entries = [];
  const hex = stack.kind === 'haproxy';
  for (const line of stack.proxy.log().split('\n')) {
    const m = /^(\S+) \[[^\]]*\] key=(\S*) by=(\S*) from=(\S*) to=(\S*)(?: stream=(\S*))? (?:upstream|backend)=(\S*)/.exec(line);
    if (!m) continue;
    const value = (v) => (hex && v !== '-' ? Buffer.from(v, 'hex').toString('utf8') : v === '-' ? '' : v);
    entries.push({ client: m[1], key: value(m[2]), routeBy: m[3] === '-' ? '' : m[3], from: value(m[4]), to: value(m[5]), stream: m[6] ?? '', upstream: m[7] });
  }
  return entries;
}

/**
 * The same, by "address:port": the last session logged for each. On
 * loopback Linux hands a port out again while its last connection is in
 * TIME_WAIT (net.ipv4.tcp_tw_reuse = 2 by default), so under a flood two
 * sessions can share an address and port: count with accessLogEntries.
 */
export function accessLog(stack) {
  return new Map(accessLogEntries(stack).map((e) => [e.client, e]));
}

export const sum = (xs) => xs.reduce((a, b) => a + b, 0);
