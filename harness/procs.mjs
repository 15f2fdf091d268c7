// Real processes on loopback for the tests and the benchmarks: free ports and
// source addresses, start, wait, stop by PID (never by name).
import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, readFileSync, existsSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function tempDir(prefix = 'jidroute-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** The kernel's range for the source ports of outgoing connections. */
function ephemeralRange() {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (low > 0 && high >= low) return [low, high];
  } catch {}
  return [32768, 60999];
}

function canListen(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A port nobody listens on right now (on 127.0.0.1), below the ephemeral
 * range: a port the kernel hands out (listen on port 0) is also a candidate
 * source port for the thousands of outgoing connections the tests make, and
 * one of them can take it before the server that wanted it listens
 * (EADDRINUSE, seen here).
 */
export async function freePort() {
  const [low] = ephemeralRange();
  const bottom = 10000;
  const top = low > bottom + 1000 ? low : 30000;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = bottom + Math.floor(Math.random() * (top - bottom));
    if (await canListen(port)) return port;
  }
  throw new Error('no free port found below the ephemeral range');
}

/**
 * Runs `start` (which chooses its ports anew each time) again when it failed
 * on a port clash, three times at most: a port freePort() found free is bound
 * only later (by a proxy, a backend, a server), and any connection's source
 * port or another program on the machine can take it first.
 */
const PORT_CLASH = /EADDRINUSE|already in use|could not bind|cannot bind|did not listen|did not start|nothing listens|exited at start/i;
export async function retryOnPortClash(start, attempts = 3) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await start(attempt);
    } catch (e) {
      if (attempt >= attempts || !(e?.code === 'EADDRINUSE' || PORT_CLASH.test(String(e?.message)))) throw e;
    }
  }
}

/** Distinct loopback source addresses in 127.<block>.0.0/16, from the
 * `skip`+1th on (one per client, so that per-address limits count what a test
 * means them to count, and the proxy's log tells the clients apart). */
export function addressPool(block = 0, skip = 0) {
  let i = skip;
  return () => {
    const n = i++;
    return `127.${block}.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;
  };
}

/** Runs fn over items with at most `width` at a time. */
export async function inParallel(items, width, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, items.length) }, worker));
  return out;
}

export async function waitForPort(port, { host = '127.0.0.1', timeoutMs = 10000 } = {}) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, host);
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(50);
  }
  throw new Error(`nothing listens on ${host}:${port} after ${timeoutMs} ms`);
}

/** Starts a program. Its output goes to `outputFile` (a regular file: a
 * program that logs with non-blocking writes, as HAProxy does to stdout, drops
 * lines when a pipe is full, never when a file is). */
export function startProcess(command, args, { outputFile, ...options } = {}) {
  const file = outputFile ?? join(tempDir('jidroute-out-'), 'output.log');
  const fd = openSync(file, 'a');
  const child = spawn(command, args, { stdio: ['ignore', fd, fd], ...options });
  closeSync(fd);
  const proc = { child, pid: child.pid, file, exited: false, exitCode: null };
  Object.defineProperty(proc, 'output', { get: () => readIfExists(file) });
  proc.done = new Promise((resolve) => child.on('exit', (code, signal) => {
    proc.exited = true;
    proc.exitCode = code ?? signal;
    resolve();
  }));
  proc.stop = async (signal = 'SIGTERM', graceMs = 5000) => {
    if (proc.exited) return;
    try { process.kill(proc.pid, signal); } catch { return; }
    const timer = setTimeout(() => { try { process.kill(proc.pid, 'SIGKILL'); } catch {} }, graceMs);
    await proc.done;
    clearTimeout(timer);
  };
  return proc;
}

/** Calls `fn` with every whole line `stream` (a child's stdout) emits. */
export function onLines(stream, fn) {
  let pending = '';
  stream.on('data', (d) => {
    pending += d;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
      const line = pending.slice(0, nl);
      pending = pending.slice(nl + 1);
      fn(line);
    }
  });
}

/** Polls until `read()` returns something truthy. */
export async function waitFor(read, { timeoutMs = 10000, what = 'condition' } = {}) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const value = await read();
    if (value) return value;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export function readIfExists(file) {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}
