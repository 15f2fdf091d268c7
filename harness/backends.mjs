// TCP backends that stand in for XMPP servers: each greets a connection with
// "<name> <id>\n" and records what it receives (its count and SHA-256, the
// first KiB, and with `keep` every byte, so that a test can compare them with
// what the client sent); `echo` sends every byte back too (the long sessions
// of the hostile scenarios, harness/sessions.mjs).
import net from 'node:net';
import { createHash } from 'node:crypto';

/**
 * A backend on host:port. mode: 'greet' (default) or 'hang' (accepts, then
 * neither greets nor reads; may be changed while it runs). refuse() stops
 * listening and keeps the sessions; die() stops listening and resets every
 * session; close() stops listening and closes every session; listen() starts
 * again (same name, ids go on).
 */
export async function startBackend(name, port, { echo = false, keep = !echo, mode = 'greet', host = '127.0.0.1' } = {}) {
  const backend = { name, port, mode, connections: [], sockets: new Set(), server: null };
  const onConnection = (socket) => {
    const record = { id: backend.connections.length, received: 0, hash: createHash('sha256'), chunks: [], head: [], headBytes: 0, sent: 0, ended: false, closed: false, at: Date.now() };
    backend.connections.push(record);
    backend.sockets.add(socket);
    socket.on('close', () => { record.closed = true; backend.sockets.delete(socket); });
    socket.on('error', () => {});
    if (backend.mode === 'hang') {
      // A server that accepted and went quiet: it reads nothing, so the
      // kernel's buffers fill and the client's writes stall.
      socket.pause();
      return;
    }
    socket.setNoDelay(true);
    const greeting = `${name} ${record.id}\n`;
    socket.write(greeting);
    record.sent += greeting.length;
    socket.on('data', (d) => {
      record.received += d.length;
      record.hash.update(d);
      if (keep) record.chunks.push(d);
      if (record.headBytes < 1024) { record.head.push(d); record.headBytes += d.length; }
      if (echo) { socket.write(d); record.sent += d.length; }
    });
    socket.on('end', () => { record.ended = true; socket.end(); });
  };
  backend.listen = () => new Promise((resolve, reject) => {
    backend.server = net.createServer({ noDelay: true }, onConnection);
    backend.server.once('error', reject);
    backend.server.listen({ port, host, backlog: 4096 }, () => resolve(backend));
  });
  // close() stops listening at once (new connections are refused) but calls
  // back only when the last session has ended: do not wait for that.
  backend.refuse = async () => {
    if (!backend.server) return;
    const s = backend.server;
    backend.server = null;
    s.close();
    s.on('error', () => {});
  };
  backend.die = async () => {
    await backend.refuse();
    for (const socket of backend.sockets) socket.resetAndDestroy();
  };
  backend.close = async () => {
    await backend.refuse();
    for (const socket of backend.sockets) socket.destroy();
  };
  backend.live = () => backend.sockets.size;
  backend.head = (id) => Buffer.concat(backend.connections[id].head);
  backend.bytes = (id) => Buffer.concat(backend.connections[id].chunks);
  await backend.listen();
  return backend;
}

/** Starts them all, or none: when one cannot listen, the others are closed
 * again (an open server would keep the test process alive). */
export async function startBackends(names, ports, options) {
  const started = await Promise.allSettled(names.map((n, i) => startBackend(n, ports[i], options)));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.filter((r) => r.status === 'fulfilled').map((r) => r.value.close()));
    throw failed.reason;
  }
  return started.map((r) => r.value);
}

/**
 * Connects through a proxy, sends `bytes` (in `pieces`, `gapMs` apart), reads
 * the backend's greeting, half-closes and waits for the close. Resolves to
 * { backend, id, localPort, greetingMs } or { backend: null } when the proxy
 * closed without reaching a backend.
 */
export function exchange(port, bytes, { host = '127.0.0.1', localAddress = '127.0.0.1', pieces = 1, gapMs = 0, timeoutMs = 15000, closeAfterMs } = {}) {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect({ port, host, localAddress });
    let received = Buffer.alloc(0);
    let greeting = null;
    let allSent = false;
    const finishIfDone = () => { if (greeting && allSent) socket.end(); };
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('exchange timed out')); }, timeoutMs);
    socket.on('connect', async () => {
      const localPort = socket.localPort;
      socket.localPortSeen = localPort;
      const size = Math.ceil(bytes.length / pieces) || 1;
      for (let at = 0; at < bytes.length; at += size) {
        if (socket.destroyed) return;
        socket.write(bytes.subarray(at, at + size));
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
      allSent = true;
      finishIfDone();
      // A client that gives up: half-close after a while, greeting or not.
      if (closeAfterMs !== undefined) setTimeout(() => socket.end(), closeAfterMs);
    });
    socket.on('data', (d) => {
      received = Buffer.concat([received, d]);
      const nl = received.indexOf(10);
      if (greeting === null && nl >= 0) {
        greeting = { text: received.subarray(0, nl).toString(), ms: Date.now() - started };
        finishIfDone();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      if (!greeting) return resolve({ backend: null, localPort: socket.localPortSeen });
      const [backend, id] = greeting.text.split(' ');
      resolve({ backend, id: Number(id), localPort: socket.localPortSeen, greetingMs: greeting.ms });
    });
  });
}
