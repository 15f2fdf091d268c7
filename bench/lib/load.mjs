// Driving bench/loadgen (compiled from bench/loadgen.c): the backends ("serve")
// and the clients ("run"), pinned to the load core with taskset.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, waitFor, waitForPort, tempDir, onLines } from '../../harness/procs.mjs';
import { childrenOf } from '../../harness/proc-stats.mjs';
import { commandLine } from './line.mjs';

/** Typical client headers (189 bytes each, all the same length so that the
 * backend knows when one is whole): distinct accounts over 100 domains, as
 * Smack or a custom client sends them. */
export function typicalHeaders(count = 1000) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const n = String(i).padStart(4, '0');
    const domain = `tenant${n.slice(2)}.example`;
    out.push(`<?xml version='1.0'?><stream:stream from='user${n}@${domain}' to='${domain}' ` +
      `xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0' xml:lang='en'>`);
  }
  return out;
}

/** The server's answer: its own stream header. */
export const ANSWER = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' " +
  "xmlns:stream='http://etherx.jabber.org/streams' id='c2s-5a1e2f' from='tenant01.example' version='1.0' xml:lang='en'>";

export function writeLoadFiles(headers = typicalHeaders()) {
  const dir = tempDir('jidroute-bench-load-');
  const headersFile = join(dir, 'headers.txt');
  const answerFile = join(dir, 'answer.txt');
  writeFileSync(headersFile, headers.join('\n') + '\n');
  writeFileSync(answerFile, ANSWER);
  return { dir, headersFile, answerFile, headerLength: headers[0].length };
}

/** Runs `loadgen run ...` on the load core; resolves to its JSON result.
 * `onLine` sees every line it prints (the idle mode prints "ready"). */
export function runLoad(loadgen, cpu, args, { onLine, timeoutMs = 180000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('taskset', ['-c', String(cpu), loadgen, 'run', ...args.map(String)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch {} }, timeoutMs);
    child.stdout.on('data', (d) => { out += d; });
    if (onLine) onLines(child.stdout, onLine);
    child.stderr.on('data', (d) => { err += d; });
    child.on('exit', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').filter((l) => l.startsWith('{')).pop();
      if (code !== 0 || !last) return reject(new Error(`loadgen run exited ${code}: ${err}${out}`));
      resolve(JSON.parse(last));
    });
  });
}

/**
 * Starts the backends (on the load core) and the proxy (on the proxy core),
 * runs `fn({ worker, proxy, serve })`, and stops both by PID whatever happens.
 * `worker` is the process that serves connections (nginx's worker, HAProxy's
 * worker under -W).
 */
export async function withProxy(prepared, { loadgen, files, proxyCpu, loadCpu, chroot, runs, wrap = [] }, fn) {
  const ports = [...prepared.backendPorts, ...prepared.s2sPorts].join(',');
  const serve = startProcess('taskset', ['-c', String(loadCpu), loadgen, 'serve', '--ports', ports,
    '--expect', String(files.headerLength), '--answer', files.answerFile, '--max-time', '3600']);
  let proxy;
  try {
    await waitFor(() => serve.output.includes('"listening"') || serve.exited, { what: 'backends' });
    if (serve.exited) throw new Error(`backends did not start: ${serve.output}`);
    // Where the proxy runs (bench/lib/line.mjs): the host, a root (then
    // `wrap`, valgrind, runs inside it too), or another binary.
    const [name, proxyArgs] = prepared.command;
    const source = runs?.[prepared.kind] ?? { root: chroot || null, bin: name };
    const [cmd, args] = commandLine(source, proxyArgs, wrap);
    proxy = startProcess('taskset', ['-c', String(proxyCpu), cmd, ...args],
      { cwd: prepared.dir, outputFile: join(prepared.dir, 'output.log') });
    await waitForPort(prepared.port, { timeoutMs: wrap.length ? 60000 : 10000 });
    const worker = await waitFor(() => {
      if (proxy.exited) return -1;
      const kids = childrenOf(proxy.pid);
      return kids.length ? kids[kids.length - 1] : undefined;
    }, { what: 'the proxy worker' }).catch(() => -1);
    if (worker === -1) throw new Error(`${prepared.config.id} did not start (exited: ${proxy.exited}): ${proxy.output.slice(-2000)}`);
    return await fn({ worker, proxy, serve });
  } finally {
    if (proxy) await proxy.stop('SIGTERM', wrap.length ? 30000 : 5000);
    await serve.stop();
  }
}
