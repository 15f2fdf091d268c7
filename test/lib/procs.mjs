// Real processes on loopback for the integration tests: free ports, start,
// wait, stop by PID (never by name).
import { spawn } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, readFileSync, existsSync, openSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function tempDir(prefix = 'jidroute-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A port nobody listens on right now (on 127.0.0.1). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
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
