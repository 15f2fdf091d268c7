// Plain TCP backends that stand in for XMPP servers in the raw-bytes tests:
// each greets a connection with "<name> <id>\n" and keeps every byte it
// receives, so a test can compare them with what the client sent.
import net from 'node:net';

export function startBackend(name, port, host = '127.0.0.1') {
  const backend = { name, port, connections: [] };
  const sockets = new Set();
  backend.server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const record = { id: backend.connections.length, chunks: [], ended: false };
    backend.connections.push(record);
    socket.on('data', (d) => record.chunks.push(d));
    socket.on('end', () => { record.ended = true; socket.end(); });
    socket.on('error', () => {});
    socket.write(`${name} ${record.id}\n`);
  });
  backend.bytes = (id) => Buffer.concat(backend.connections[id].chunks);
  backend.close = () => new Promise((resolve) => {
    backend.server.close(() => resolve());
    for (const socket of sockets) socket.destroy();
  });
  return new Promise((resolve, reject) => {
    backend.server.once('error', reject);
    backend.server.listen(port, host, () => resolve(backend));
  });
}

/** Starts them all, or none: when one cannot listen, the others are closed
 * again (an open server would keep the test process alive). */
export async function startBackends(names, ports) {
  const started = await Promise.allSettled(names.map((n, i) => startBackend(n, ports[i])));
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
