// Runs the example configs (njs/nginx.conf, haproxy/haproxy.cfg) as they are,
// with only their ports and the module's path moved, so that the tests run
// what users copy.
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import net from 'node:net';
import { join, resolve } from 'node:path';
import { freePort, startProcess, tempDir, waitFor, waitForPort, readIfExists, sleep } from './procs.mjs';
import { commandFor, currentLine, forEngine, njsLine } from './lines.mjs';

export const ROOT = resolve(new URL('..', import.meta.url).pathname);
export const INSTALL_DIR = '/usr/local/lib/jidroute/';

/** A free port for every port the config names (listen/bind and
 * 127.0.0.1:N): the map from old port to new (moveConfig rewrites the text). */
export async function movePorts(text, listenPattern) {
  const ports = new Map();
  const found = [...text.matchAll(listenPattern), ...text.matchAll(/127\.0\.0\.1:(\d+)/g)];
  for (const m of found) if (!ports.has(Number(m[1]))) ports.set(Number(m[1]), await freePort());
  return ports;
}

/** The config file with the module's path pointed at dist/ and every port
 * it names moved to a free one: listeners (`listenPrefix` followed by the
 * port, bound to 127.0.0.1 instead) and 127.0.0.1:N addresses. */
async function moveConfig(configFile, listenPrefix, edit) {
  let text = readFileSync(join(ROOT, configFile), 'utf8');
  text = text.split(INSTALL_DIR).join(join(ROOT, 'dist') + '/');
  const listen = new RegExp(`^(\\s*${listenPrefix})(\\d+)`, 'gm');
  const ports = await movePorts(text, new RegExp(`^\\s*${listenPrefix}(\\d+)`, 'gm'));
  text = text.replace(listen, (_, a, p) => `${a.replace(/:$/, '')}127.0.0.1:${ports.get(Number(p))}`);
  text = text.replace(/127\.0\.0\.1:(\d+)/g, (m, p) => (ports.has(Number(p)) ? `127.0.0.1:${ports.get(Number(p))}` : m));
  return { text: edit(text), ports };
}

export async function prepareNginx(configFile = 'njs/nginx.conf', { edit = (s) => s } = {}) {
  const dir = tempDir('jidroute-nginx-');
  mkdirSync(join(dir, 'logs'));
  const { text, ports } = await moveConfig(configFile, 'listen\\s+', (s) => forEngine(edit(s)));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, text);
  return {
    kind: 'nginx', dir, conf, ports,
    accessLog: join(dir, 'logs/xmpp.log'),
    errorLog: join(dir, 'logs/error.log'),
    command: ['nginx', ['-p', dir, '-c', conf, '-g', 'daemon off;']],
  };
}

export async function prepareHaproxy(configFile = 'haproxy/haproxy.cfg', { edit = (s) => s } = {}) {
  const dir = tempDir('jidroute-haproxy-');
  const { text, ports } = await moveConfig(configFile, 'bind\\s+:', edit);
  const conf = join(dir, 'haproxy.cfg');
  // One line more than the example has: a runtime API socket, for
  // droppedLogs() below.
  const statsSocket = join(dir, 'admin.sock');
  writeFileSync(conf, text.replace(/^global\n/m, (m) => `${m}    stats socket ${statsSocket} mode 600 level admin\n`));
  return {
    kind: 'haproxy', dir, conf, ports, statsSocket,
    command: ['haproxy', ['-W', '-db', '-f', conf]],
  };
}

/** What HAProxy's runtime API answers to one command: { answer, error }
 * (answer '' and the socket's error code if it could not be asked). */
function askHaproxy(socketPath, command, timeoutMs = 5000) {
  return new Promise((resolveAnswer) => {
    let answer = '';
    let error = null;
    const socket = net.connect({ path: socketPath });
    const timer = setTimeout(() => { error = 'no answer in time'; socket.destroy(); }, timeoutMs);
    socket.on('connect', () => socket.end(`${command}\n`));
    socket.on('data', (d) => { answer += d; });
    socket.on('error', (e) => { error = e.code ?? e.message; });
    socket.on('close', () => { clearTimeout(timer); resolveAnswer({ answer, error }); });
  });
}

/** HAProxy's `show info`, asked until it answers, for at most `timeoutMs`:
 * HAProxy binds its listeners one after another (protocol_bind_all), so
 * when the first port answers the socket may not be there yet (seen once in
 * CI, on the host's 2.6: asked right after start, no answer). */
async function haproxyInfo(socketPath, timeoutMs = 10000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const { answer, error } = await askHaproxy(socketPath, 'show info');
    if (/^Pid: /m.test(answer)) return answer;
    if (Date.now() >= until) throw new Error(`HAProxy's runtime API did not answer show info (${socketPath}: ${error ?? JSON.stringify(answer.slice(0, 200))})`);
    await sleep(100);
  }
}

/** Starts a prepared proxy and waits for its first listener. The proxy is
 * the one of the line JIDROUTE_LINE names (harness/lines.mjs: the host's,
 * one from a Debian root with this checkout and /tmp mounted at the same
 * paths, or HAProxy 3.4 built from source); JIDROUTE_CHROOT=DIR runs it
 * from a root of one's own. */
export async function startProxy(prepared, { waitPort, waitHost, line } = {}) {
  let [cmd, args] = prepared.command;
  const [run, pre] = await commandFor(cmd, line);
  [cmd, args] = [run, [...pre, ...args]];
  const proc = startProcess(cmd, args, { cwd: prepared.dir, outputFile: join(prepared.dir, 'output.log') });
  const port = waitPort ?? [...prepared.ports.values()][0];
  try {
    await waitForPort(port, waitHost ? { host: waitHost } : undefined);
  } catch (e) {
    await proc.stop();
    throw new Error(`${prepared.kind} did not start: ${proc.output}`);
  }
  // HAProxy: its runtime API too, which droppedLogs asks.
  if (prepared.statsSocket) {
    try {
      await haproxyInfo(prepared.statsSocket);
    } catch (e) {
      await proc.stop();
      throw new Error(`${e.message}\n${proc.output}`);
    }
  }
  return {
    ...prepared,
    proc,
    port: (p) => prepared.ports.get(p),
    /** Everything the proxy logged so far. */
    log: () => (prepared.kind === 'nginx' ? readIfExists(prepared.accessLog) : proc.output),
    /** Log lines HAProxy gave up (droppedLogs below). */
    droppedLogs: () => droppedLogs(prepared),
    errors: () => (prepared.kind === 'nginx' ? readIfExists(prepared.errorLog) : proc.output),
    stop: () => proc.stop(),
  };
}

/** Log lines the proxy gave up (0 for nginx: its access log is a file it
 * writes in turn). HAProxy with more than one thread drops a `log stdout`
 * line when another thread is writing one ("we prefer to fail on collision
 * than to block", src/fd.c fd_write_frag_line; the configuration manual: "may
 * be dropped, in which case the DroppedLogs counter will be incremented"):
 * seen here under the full suite's load, 3 of 5,480 lines in
 * test/floods.test.mjs, and in CI one line of a batch of eight connections
 * test/lib/routing-suite.mjs opens at once. A test that counts log lines
 * allows for these, as HAProxy counts them itself (show info). `prepared`:
 * what prepareHaproxy returned, run on the host or in a container that
 * mounts its folder. */
export async function droppedLogs(prepared) {
  if (prepared.kind !== 'haproxy' || !prepared.statsSocket) return 0;
  const m = /^DroppedLogs: (\d+)/m.exec(await haproxyInfo(prepared.statsSocket));
  if (!m) throw new Error(`HAProxy's runtime API did not say how many log lines it dropped (${prepared.statsSocket})`);
  return Number(m[1]);
}

/** How many log lines `proxy` (startProxy's, or one like it) dropped so far. */
export async function droppedSoFar(proxy) {
  return proxy.droppedLogs ? proxy.droppedLogs() : 0;
}

/** `attempt()` again, at most `tries` times in all, while the log lines it
 * found missing (`missingOf(result)`) are no more than the lines HAProxy
 * counted as dropped during it: a missing line nothing accounts for is a
 * failure the caller reports. Returns { result, attempts }. */
export async function againWhileDropped(proxy, attempt, missingOf, { tries = 3 } = {}) {
  for (let attempts = 1; ; attempts++) {
    const before = await droppedSoFar(proxy);
    const result = await attempt();
    const missing = missingOf(result);
    if (!missing || attempts >= tries || (await droppedSoFar(proxy)) - before < missing) return { result, attempts };
  }
}

/** The log entry of one connection (parseLog) once its line is written, or
 * null if none came within `timeoutMs`. */
export async function logEntry(proxy, client, { timeoutMs = 10000 } = {}) {
  return waitFor(() => parseLog(proxy.kind, proxy.log()).get(client), { timeoutMs, what: `log line for ${client}` }).catch(() => null);
}

/** `connect()` (one connection, resolving to { client, ... }) and its log
 * entry, made again while HAProxy drops the line (againWhileDropped).
 * Returns { r, entry (null: never logged), attempts }. */
export async function loggedConnection(proxy, connect, { tries, timeoutMs } = {}) {
  const { result, attempts } = await againWhileDropped(proxy, async () => {
    const r = await connect();
    return { r, entry: await logEntry(proxy, r.client, { timeoutMs }) };
  }, (x) => (x.entry ? 0 : 1), { tries });
  return { ...result, attempts };
}

export { sleep };

/** One log line per finished session, as { client, key, routeBy, from, to }. */
export function parseLog(kind, text) {
  const entries = new Map();
  for (const line of text.split('\n')) {
    const m = /^(\S+) \[[^\]]*\] key=(.*?) by=(\S*) from=(.*?) to=(.*?)(?: stream=(\S*))? (?:upstream|backend)=/.exec(line);
    if (!m) continue;
    const value = (s) => (kind === 'haproxy' ? Buffer.from(s, 'hex').toString('utf8') : s);
    entries.set(m[1], {
      client: m[1], key: value(m[2]), routeBy: m[3] === '-' ? '' : m[3], from: value(m[4]), to: value(m[5]),
      stream: m[6] === '-' ? '' : m[6],
    });
  }
  return entries;
}

/** What a proxy's error output may not contain after a run. */
export const ERROR_PATTERNS = {
  nginx: [/js exception/i, /\[alert\]/, /\[emerg\]/, /\[crit\]/, /jidroute:/, /pending events/],
  haproxy: [/\[ALERT\]/, /lua.*error/i, /jidroute:/, /runtime error/i],
};

/** Whether the njs that nginx runs here (the host's, or JIDROUTE_CHROOT's)
 * acts on done() from a timer: from njs 0.8 (see njs/jidroute.ts). */
export function njsTimersResumePreread() {
  if (process.env.JIDROUTE_LINE && !process.env.JIDROUTE_CHROOT) return njsLine() >= '0.8';
  const root = process.env.JIDROUTE_CHROOT;
  const args = ['-W', '-f', '${Version}', 'libnginx-mod-stream-js'];
  const run = root ? spawnSync('chroot', [root, 'dpkg-query', ...args], { encoding: 'utf8' }) : spawnSync('dpkg-query', args, { encoding: 'utf8' });
  const [major, minor] = run.stdout.split('.').map(Number);
  return major > 0 || minor >= 8;
}
