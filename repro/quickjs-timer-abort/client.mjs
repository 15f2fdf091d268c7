// node client.mjs [connections] [port] [closeAfterMs]
// Opens the connections at once; each sends one byte, then waits for nginx
// to close it (or, with closeAfterMs, closes it itself after that long:
// a session that ends while its timer is pending).
import net from 'node:net';
const n = Number(process.argv[2] || 300);
const port = Number(process.argv[3] || 15222);
const closeAfterMs = process.argv[4] === undefined ? 0 : Number(process.argv[4]);
let closed = 0;
for (let i = 0; i < n; i++) {
  const c = net.connect(port, '127.0.0.1', () => {
    c.write('<');
    if (closeAfterMs > 0) setTimeout(() => c.destroy(), closeAfterMs);
  });
  c.on('error', () => {});
  c.on('close', () => { if (++closed === n) console.log(`${n} connections closed`); });
  c.setTimeout(10000, () => c.destroy());
}
