// The jidroute command under test: run it as users do (bin/jidroute), and a
// sample of accounts sent through the real proxies to see where each lands.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../harness/proxies.mjs';
import { startBackends, exchange } from '../../harness/backends.mjs';
import { startStack } from '../../harness/stack.mjs';
import { random } from '../../harness/inputs/generate.mjs';
import { freePort, sleep, waitFor } from '../../harness/procs.mjs';
import { LINES, currentLine, rootDir, rootReady, haproxy34Dir, haproxy34Missing, forEngine } from '../../harness/lines.mjs';

export const BIN = join(ROOT, 'bin/jidroute');

/** Runs `jidroute ARGS`; resolves { status, stdout, stderr }. */
export function runCli(args, { input, env } = {}) {
  return new Promise((resolve) => {
    // As a user runs it: without the test runner's module hooks (tap puts
    // them back into NODE_OPTIONS of every child it sees started).
    const child = spawn('/bin/sh', ['-c', 'unset NODE_OPTIONS; exec "$@"', 'sh', process.execPath, BIN, ...args],
      { cwd: ROOT, env: { ...process.env, ...env } });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('close', (status) => resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(input ?? '');
  });
}

/** `jidroute ARGS --json`, parsed; fails the test run on a non-zero status. */
export async function cliJson(args, options) {
  const r = await runCli([...args, '--json'], options);
  if (r.status !== 0) throw new Error(`jidroute ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const ASCII = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-';
const NON_ASCII = [...'àéîõüßÆØΣσΩωЖжЯяԱաႠⴀ中文한국😀İK', '\u{10400}'];
const DOMAINS = ['example.com', 'Example.ORG', 'tenant-a.example', 'tenant-b.example', 'bücher.example', 'пример.example', 'ΣΑΣ.example', '中文.example'];

/** `n` account JIDs, half ASCII and half with non-ASCII localparts (both
 * cases: the key is the lowercased bare JID), on a few domains, some with a
 * resource. The same for a seed. */
export function sampleJids(n, seed = 12) {
  const rng = random(seed);
  const out = new Set();
  while (out.size < n) {
    const nonAscii = out.size % 2 === 1;
    let local = '';
    const len = 3 + rng.int(10);
    for (let i = 0; i < len; i++) local += nonAscii && rng.chance(0.4) ? rng.pick(NON_ASCII) : rng.pick([...ASCII]);
    if (/^[.]|[.]$/.test(local)) local = `u${local}u`;
    const domain = nonAscii ? rng.pick(DOMAINS) : rng.pick(DOMAINS.slice(0, 4));
    out.add(`${local}@${domain}${rng.chance(0.3) ? '/res' + rng.int(100) : ''}`);
  }
  return [...out];
}

const xmlAttr = (s) => s.replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;');

/** The header a client sends; `from` null: none (as before STARTTLS). */
export function header(from, to) {
  return Buffer.from(`<?xml version='1.0'?><stream:stream ${from ? `from='${xmlAttr(from)}' ` : ''}to='${xmlAttr(to)}' ` +
    "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>", 'utf8');
}

export const domainOf = (jid) => jid.split('@')[1].split('/')[0];

/** Sends each item ({ bytes, port, localAddress }) through the proxy, a few at
 * a time; resolves to the backend name each reached. */
export async function sendAll(items, { concurrency = 8 } = {}) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      const r = await exchange(items[i].port, items[i].bytes, { host: items[i].host || '127.0.0.1', localAddress: items[i].localAddress || '127.0.0.1' });
      out[i] = r.backend;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return out;
}

/** How to run the HAProxy of a release line (harness/lines.mjs), without
 * making anything: [command, leading args]. JIDROUTE_CHROOT overrides the
 * root, as in commandFor. */
function haproxyCommand(line) {
  const part = line.haproxy;
  if (part.build) return [join(haproxy34Dir(), 'haproxy'), []];
  const root = process.env.JIDROUTE_CHROOT || (part.root ? rootDir(part.root) : null);
  return root ? ['chroot', [root, 'haproxy']] : ['haproxy', []];
}

/** The HAProxy a line runs (by default the one the tests run): "2.6.12". */
export function haproxyVersionHere(line = currentLine()) {
  const [cmd, pre] = haproxyCommand(line);
  const run = spawnSync(cmd, [...pre, '-v'], { encoding: 'utf8' });
  const m = /version (\d+\.\d+\.\d+)/.exec(run.stdout || '');
  if (!m) throw new Error(`no haproxy version: ${run.stdout} ${run.stderr}`);
  return m[1];
}

/** Why the line `name` cannot run here without making a root or a build
 * first (minutes), or null when its nginx and HAProxy are ready. */
export function lineMissing(name) {
  const line = LINES[name];
  for (const part of [line.nginx, line.haproxy]) {
    if (part.build) {
      if (haproxy34Missing()) return haproxy34Missing();
      if (!existsSync(join(haproxy34Dir(), 'haproxy'))) return `line ${name}: HAProxy ${part.want} not built yet (run a test with JIDROUTE_LINE=${name} once)`;
    } else if (part.root && !rootReady(part.root)) return `line ${name}: the ${part.root} root is not made yet (run a test with JIDROUTE_LINE=${name} once)`;
  }
  return null;
}

/** The lines other than the current one that can run here now. */
export function otherLines(names) {
  const current = process.env.JIDROUTE_LINE || 'bookworm';
  return names.filter((n) => n !== current).map((n) => ({ name: n, line: LINES[n], missing: lineMissing(n) }));
}

export { LINES };

/** Edits the server lines of one upstream (nginx) or backend (HAProxy):
 * edit(line, index) returns the new line. */
export function editServers(text, kind, name, edit) {
  const lines = text.split('\n');
  let inside = false;
  let index = 0;
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (kind === 'nginx') {
      if (new RegExp(`^\\s*upstream\\s+${name}\\s*\\{`).test(l)) { inside = true; continue; }
      if (inside && /^\s*\}/.test(l)) inside = false;
      if (inside && /^\s*server\s/.test(l)) lines[i] = edit(l, index++);
    } else {
      if (/^(backend|frontend|listen|defaults|global)\b/.test(l)) inside = new RegExp(`^backend\\s+${name}(\\s|$)`).test(l); // "backend NAME [from DEFAULTS]"
      else if (inside && /^\s*server\s/.test(l)) lines[i] = edit(l, index++);
    }
  }
  return lines.join('\n');
}

/** nginx: add a parameter to a server line; HAProxy: the same. */
export function addParam(kind, param) {
  return (line) => (kind === 'nginx' ? line.replace(/;\s*$/, ` ${param};`) : `${line} ${param}`);
}

/**
 * A proxy of `kind` running the example config (ports moved), edited by
 * `edit(text)`, in front of backends b0..b2 (plus `extraBackends` more, on
 * free ports the test may add to the config). Returns { prepared, proxy,
 * backends, names, portOf(name), nameOfPort(port), c2s, tenants, stop() }.
 */
export async function startBackendStack(kind, { edit = (t) => t, extraBackends = 0, listenHost, s2s = false, line, config, backendPorts = [5301, 5302, 5303] } = {}) {
  let names, ports, s2sPorts;
  const stack = await startStack({
    kind, config, line, waitHost: listenHost, waitPort: [5222, 5322],
    edit: (t) => (listenHost ? t.replace(/^(\s*(?:listen|bind)\s+)127\.0\.0\.1:/gm, `$1${listenHost}:`) : t),
    servers: async (real, prepared) => {
      ports = backendPorts.map(real);
      for (let i = 0; i < extraBackends; i++) ports.push(await freePort());
      names = ports.map((_, i) => `b${i}`);
      s2sPorts = s2s ? [5401, 5402, 5403].map(real) : [];
      const backends = await startBackends([...names, ...s2sPorts.map((_, i) => `s${i}`)], [...ports, ...s2sPorts]);
      // Another line's nginx: its engine (js_engine qjs on sid-qjs).
      const engine = (text) => (kind === 'nginx' && line && !/js_engine/.test(text) ? forEngine(text, line) : text);
      writeFileSync(prepared.conf, engine(edit(readFileSync(prepared.conf, 'utf8'), { ports })));
      return { backends, stop: () => Promise.all(backends.map((b) => b.close())) };
    },
  });
  const { prepared } = stack;
  return {
    kind, prepared, proxy: stack.proxy, backends: stack.servers.backends, names, ports, host: listenHost || '127.0.0.1',
    c2s: prepared.ports.get(5222), tenants: prepared.ports.get(5322),
    s2s: prepared.ports.get(5269),
    nameOfAddress: (address) => {
      const port = Number(String(address).split(':').pop());
      return ports.includes(port) ? names[ports.indexOf(port)] : s2sPorts.includes(port) ? `s${s2sPorts.indexOf(port)}` : undefined;
    },
    stop: stack.stop,
  };
}

/** The sample through a stack: bare policy on 5222, domain policy on 5322. */
export async function placeSample(stack, jids) {
  const items = [
    ...jids.map((j) => ({ port: stack.c2s, bytes: header(j, domainOf(j)) })),
    ...jids.map((j) => ({ port: stack.tenants, bytes: header(j, domainOf(j)) })),
  ];
  const got = await sendAll(items.map((x) => ({ ...x, host: stack.host })));
  return { bare: got.slice(0, jids.length), domain: got.slice(jids.length) };
}

/** What `jidroute where` predicts for the sample, as backend names. */
export async function predict(stack, jids, extra = []) {
  const json = await cliJson(['where', '-', '--config', stack.prepared.conf, ...extra], { input: jids.join('\n') + '\n' });
  const bare = [];
  const domain = [];
  for (const r of json.results) (r.policy === 'bare' ? bare : domain).push(r.servers[0] ? stack.nameOfAddress(r.servers[0].address) : null);
  return { bare, domain, json };
}

/** Waits until the proxy's log holds `n` connection lines. */
export async function waitForLogLines(stack, n, pattern = / key=/) {
  await waitFor(() => stack.proxy.log().split('\n').filter((l) => pattern.test(l)).length >= n, { timeoutMs: 15000, what: `${n} log lines` });
}

export { sleep, ROOT };
