// Long-lived sessions with every byte checked both ways, for the hostile-
// client, reload and fault scenarios. An echo backend (harness/backends.mjs)
// greets each connection with "<name> <id>\n" and sends back every byte it
// receives, keeping a SHA-256 of what came; a session client sends its stream header and then
// random bytes, and checks that what comes back is the greeting and then
// exactly what it sent, in order; at the end both hashes are compared.
import net from 'node:net';
import { createHash, randomBytes } from 'node:crypto';

/** Totals over every session of a run. */
export function newTally() {
  return { sessions: 0, bytesUp: 0, bytesDown: 0, mismatches: 0, foreignBytes: 0, problems: [] };
}

function note(tally, problem) {
  if (tally && tally.problems.length < 20) tally.problems.push(problem);
}

/**
 * Opens a session through a proxy: connects from `localAddress`, sends
 * `header`, and resolves once the backend's greeting is back, to a session
 * ({ backend, id, greetingMs, ... }), or to { backend: null, reason } when
 * the proxy closed it first (s.reason says why). From then on every byte that comes back must be
 * the next byte sent; anything else is counted in tally.mismatches (and
 * bytes after a second greeting, i.e. from another backend, would be too).
 * trickle: { bytes, everyMs } sends `bytes` after the header one at a time,
 * `everyMs` apart, greeting or not (a slow client); s.trickling tells whether
 * it still does, s.stopTrickle() stops it.
 */
export function openSession(port, header, { localAddress = '127.0.0.1', tally, timeoutMs = 20000, trickle, onConnect } = {}) {
  return new Promise((resolve) => {
    const started = Date.now();
    // A session that never got a greeting resolves too: to itself, with
    // backend null and the reason.
    const socket = net.connect({ port, host: '127.0.0.1', localAddress, noDelay: true });
    const s = {
      socket, localAddress, backend: null, id: null, greetingMs: null,
      sentBytes: 0, echoedBytes: 0, sentHash: createHash('sha256'),
      pending: [], pendingBytes: 0, closedByPeer: false, closed: false, ended: false,
      mismatch: false, error: null, localPort: null, reason: null, startedAt: started,
    };
    let buffer = Buffer.alloc(0);
    let settled = false;
    let waiters = [];
    const settle = (value) => { if (!settled) { settled = true; clearTimeout(timer); resolve(value); } };
    const timer = setTimeout(() => { s.reason = 'timeout'; socket.destroy(); settle(s); }, timeoutMs);
    const wake = () => { const w = waiters; waiters = []; for (const f of w) f(); };

    s.send = (bytes) => {
      if (s.closed || s.ended) return false;
      if (bytes.length === 0) return true;
      s.sentBytes += bytes.length;
      s.sentHash.update(bytes);
      s.pending.push(bytes);
      s.pendingBytes += bytes.length;
      socket.write(bytes);
      return true;
    };
    /** Sends `n` random bytes; resolves once they are back (or the session ended). */
    s.roundTrip = (n = 256, waitMs = 20000) => {
      s.send(randomBytes(n));
      return s.drained(waitMs);
    };
    s.drained = (waitMs = 20000) => new Promise((res) => {
      if (s.pendingBytes === 0 || s.closed) return res(s.pendingBytes === 0);
      const t = setTimeout(() => res(false), waitMs);
      const check = () => {
        if (s.pendingBytes === 0 || s.closed) { clearTimeout(t); res(s.pendingBytes === 0); } else waiters.push(check);
      };
      waiters.push(check);
    });
    /** Half-closes, waits for the backend to finish, resolves to true when
     * every byte came back and nothing else did. */
    s.close = (waitMs = 20000) => new Promise((res) => {
      if (s.closed) return res(s.pendingBytes === 0 && !s.mismatch);
      s.ended = true;
      socket.end();
      const t = setTimeout(() => { socket.destroy(); res(false); }, waitMs);
      socket.once('close', () => { clearTimeout(t); res(s.pendingBytes === 0 && !s.mismatch); });
    });
    s.digest = () => s.sentHash.copy().digest('hex');

    let trickleTimer = null;
    s.trickled = 0;
    s.trickling = false;
    s.stopTrickle = () => { if (trickleTimer) clearInterval(trickleTimer); trickleTimer = null; s.trickling = false; };
    socket.on('connect', () => {
      s.localPort = socket.localPort;
      s.connectedAt = Date.now();
      if (header.length) s.send(header);
      if (trickle && trickle.bytes.length) {
        s.trickling = true;
        trickleTimer = setInterval(() => {
          if (s.closed || s.ended || s.trickled >= trickle.bytes.length) return s.stopTrickle();
          s.send(trickle.bytes.subarray(s.trickled, s.trickled + 1));
          s.trickled++;
          if (s.trickled >= trickle.bytes.length) s.stopTrickle();
        }, trickle.everyMs);
      }
      if (onConnect) onConnect(s);
    });
    const consume = (d) => {
      // Each byte back must be the next byte sent.
      let at = 0;
      while (at < d.length) {
        if (s.pending.length === 0) {
          s.mismatch = true;
          if (tally) { tally.foreignBytes += d.length - at; tally.mismatches++; }
          note(tally, `${s.backend}/${s.id}: ${d.length - at} bytes nobody sent`);
          return;
        }
        const head = s.pending[0];
        const n = Math.min(head.length, d.length - at);
        if (!d.subarray(at, at + n).equals(head.subarray(0, n))) {
          s.mismatch = true;
          if (tally) tally.mismatches++;
          note(tally, `${s.backend}/${s.id}: bytes back differ from bytes sent`);
          return;
        }
        at += n;
        s.echoedBytes += n;
        s.pendingBytes -= n;
        if (n === head.length) s.pending.shift();
        else s.pending[0] = head.subarray(n);
      }
    };
    socket.on('data', (d) => {
      if (s.mismatch) return;
      if (s.backend === null) {
        buffer = Buffer.concat([buffer, d]);
        const nl = buffer.indexOf(10);
        if (nl < 0) return;
        const [name, id] = buffer.subarray(0, nl).toString('latin1').split(' ');
        s.backend = name;
        s.id = Number(id);
        s.greetingMs = Date.now() - started;
        s.greetedAt = Date.now();
        const rest = buffer.subarray(nl + 1);
        buffer = null;
        settle(s);
        if (rest.length) consume(rest);
      } else {
        consume(d);
      }
      wake();
    });
    socket.on('error', (e) => { s.error = e.code || String(e); });
    socket.on('end', () => { if (!s.ended) s.closedByPeer = true; });
    socket.on('close', () => {
      s.closed = true;
      s.closedAt = Date.now();
      s.stopTrickle();
      if (!s.ended) s.closedByPeer = true;
      wake();
      if (!s.reason) s.reason = s.error || 'closed';
      settle(s);
    });
  });
}

/**
 * Checks a finished session against its backend's record: the backend got
 * exactly the bytes sent (same count, same SHA-256), and every byte it sent
 * came back. Adds to the tally; returns a list of problems.
 */
export function verifySession(s, backendsByName, tally) {
  const problems = [];
  const backend = backendsByName[s.backend];
  const record = backend && backend.connections[s.id];
  if (!record) problems.push(`${s.backend}/${s.id}: no such backend connection`);
  else {
    if (record.received !== s.sentBytes) problems.push(`${s.backend}/${s.id}: backend got ${record.received} of ${s.sentBytes} bytes`);
    else if (record.hash.copy().digest('hex') !== s.digest()) problems.push(`${s.backend}/${s.id}: backend got other bytes than were sent`);
  }
  if (s.pendingBytes !== 0) problems.push(`${s.backend}/${s.id}: ${s.pendingBytes} bytes never came back`);
  if (s.mismatch) problems.push(`${s.backend}/${s.id}: bytes back were not the bytes sent`);
  if (tally) {
    tally.sessions++;
    if (problems.length === 0) { tally.bytesUp += s.sentBytes; tally.bytesDown += s.echoedBytes; }
    for (const p of problems) note(tally, p);
    if (problems.length) tally.mismatches++;
  }
  return problems;
}

/** An XMPP client stream header; `from` may be undefined. */
export function clientHeader(from, to = 'example.com') {
  const f = from === undefined ? '' : ` from='${from}'`;
  return Buffer.from(`<?xml version='1.0'?><stream:stream${f} to='${to}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
}
