// The Docker engine for the containerised tests: installs Debian's docker.io,
// debootstrap and docker-compose when missing, starts dockerd when nothing
// answers (and stops it, by PID, when done), makes the Debian base images
// when they are missing and builds the jidroute images. Containers use the
// host's network only; nothing here talks beyond 127.0.0.0/8 except apt and
// debootstrap, to the Debian archive the machine's apt already uses.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync, readFileSync, writeFileSync, mkdirSync, rmSync, readdirSync, mkdtempSync,
} from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './proxies.mjs';
import { ensureHaproxy34, ensureBase, writeHostAptOptions } from './lines.mjs';
import { startProcess, tempDir, sleep } from './procs.mjs';

export const GENERATIONS = {
  bookworm: { debian: 12, nginx: '1.22', njs: '0.7.9', haproxy: '2.6', lua: '5.3' },
  trixie: { debian: 13, nginx: '1.26', njs: '0.8.9', haproxy: '3.0', lua: '5.4' },
  // Debian unstable: moves; the tests check the line, not the patch release.
  sid: { debian: 'unstable', nginx: '1.30', njs: '1.0', haproxy: '3.2', lua: '5.4' },
};

/** HAProxy 3.4, built from ../shared/vendor (harness/lines.mjs) into an
 * image with the official haproxy image's layout (docker/haproxy-3.4.Dockerfile). */
export const HAPROXY_34 = { base: 'trixie', haproxy: '3.4', lua: '5.4' };

/** Image names, the same compose.yaml uses. */
export const image = (what, generation) => `jidroute-${what}:${generation}`;

// Debian's own CLI when it is there (what a fresh machine gets from docker.io),
// whatever else PATH holds.
export const DOCKER = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';
const COMPOSE = existsSync('/usr/bin/docker-compose') ? '/usr/bin/docker-compose' : 'docker-compose';
const PACKAGES = { 'docker.io': '/usr/sbin/dockerd', debootstrap: '/usr/sbin/debootstrap', 'docker-compose': '/usr/bin/docker-compose' };
// Per engine: a run against another daemon (DOCKER_HOST) has its own lock.
const ENGINE = process.env.DOCKER_HOST ? `-${createHash('sha256').update(process.env.DOCKER_HOST).digest('hex').slice(0, 8)}` : '';
const LOCK = `/tmp/jidroute-docker${ENGINE}.lock`;
// Written when this helper starts dockerd: a run killed before it could stop
// its daemon leaves this behind, and the next run adopts (and stops) it.
const DAEMON_PID_FILE = `/run/jidroute-dockerd${ENGINE}.pid`;
const LABEL = 'org.jidroute.test-pid';

/** Runs a command to its end (bounded by timeoutMs); resolves to
 * { code, stdout, stderr } and throws when `check` and the code is not 0. */
export function run(command, args, { input, timeoutMs = 120000, check = true, env, cwd } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: env ? { ...process.env, ...env } : process.env, cwd });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => { clearTimeout(timer); reject(e); });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result = { code: code ?? signal, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
      if (check && code !== 0) {
        reject(new Error(`${command} ${args.join(' ')} -> ${result.code}${signal === 'SIGKILL' ? ` (killed after ${timeoutMs} ms)` : ''}\n${result.stderr.slice(-4000)}${result.stdout.slice(-2000)}`));
      } else resolve(result);
    });
    if (input !== undefined) child.stdin.end(input); else child.stdin.end();
  });
}

export const docker = (args, options) => run(DOCKER, args, options);
export const compose = (args, options) => run(COMPOSE, args, options);

const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

async function installMissingPackages(log) {
  const missing = Object.entries(PACKAGES).filter(([, file]) => !existsSync(file)).map(([p]) => p);
  if (missing.length === 0) return;
  if (process.getuid() !== 0) throw new Error(`docker tests: install ${missing.join(' ')} (as root)`);
  log(`installing ${missing.join(' ')}`);
  // docker.io's postinst would start dockerd with its defaults (a bridge,
  // iptables rules) through init.d; the tests start their own, host-only.
  const policy = '/usr/sbin/policy-rc.d';
  const added = !existsSync(policy);
  if (added) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    // Lock timeout: scripts/setup.sh or another run may be using apt.
    const wait = ['-o', 'DPkg::Lock::Timeout=300'];
    await run('apt-get', [...wait, 'update', '-qq'], { env, timeoutMs: 600000 });
    await run('apt-get', [...wait, 'install', '-y', '-qq', '--no-install-recommends', ...missing], { env, timeoutMs: 900000 });
  } finally {
    if (added) rmSync(policy, { force: true });
  }
}

/** One user of the engine at a time across processes (two test runs at once
 * would otherwise stop each other's daemon). Bounded wait. */
async function acquireLock(log, timeoutMs = 30 * 60000) {
  const until = Date.now() + timeoutMs;
  let told = false;
  while (Date.now() < until) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'owner'), String(process.pid));
      return () => rmSync(LOCK, { recursive: true, force: true });
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const owner = Number(readFileSafe(join(LOCK, 'owner')));
      if (owner && !alive(owner)) { rmSync(LOCK, { recursive: true, force: true }); continue; }
      if (!owner) {
        // Just created, owner not written yet; or left empty by a crash.
        await sleep(1000);
        if (!Number(readFileSafe(join(LOCK, 'owner')))) rmSync(LOCK, { recursive: true, force: true });
        continue;
      }
      if (!told) { log(`waiting for process ${owner}, which is using the Docker engine`); told = true; }
      await sleep(1000);
    }
  }
  throw new Error(`the Docker engine was still in use by another test run after ${timeoutMs / 60000} min`);
}

function readFileSafe(file) {
  try { return readFileSync(file, 'utf8').trim(); } catch { return ''; }
}

async function daemonAnswers() {
  const r = await docker(['info', '--format', '{{.ServerVersion}}'], { check: false, timeoutMs: 20000 }).catch(() => ({ code: 1 }));
  return r.code === 0;
}

/** Starts dockerd unless one answers; returns its pid when this helper owns it. */
async function ensureDaemon(log) {
  const leftover = Number(readFileSafe(DAEMON_PID_FILE));
  if (await daemonAnswers()) {
    if (leftover && alive(leftover) && readFileSafe('/var/run/docker.pid') === String(leftover)) {
      log(`adopting dockerd ${leftover}, left running by an earlier test run`);
      return leftover;
    }
    return null;
  }
  const dir = tempDir('jidroute-dockerd-');
  // No bridge and no iptables: every container uses the host's network.
  const proc = startProcess('dockerd', ['--bridge=none', '--iptables=false', '--ip6tables=false'], { outputFile: join(dir, 'dockerd.log') });
  writeFileSync(DAEMON_PID_FILE, String(proc.pid));
  const until = Date.now() + 90000;
  while (Date.now() < until) {
    if (proc.exited) break;
    if (await daemonAnswers()) { log(`started dockerd ${proc.pid}`); return proc.pid; }
    await sleep(500);
  }
  await stopPid(proc.pid);
  throw new Error(`dockerd did not come up:\n${proc.output.slice(-3000)}`);
}

async function stopPid(pid, graceMs = 30000) {
  if (!alive(pid)) return;
  try { process.kill(pid, 'SIGTERM'); } catch { return; }
  const until = Date.now() + graceMs;
  while (alive(pid) && Date.now() < until) await sleep(200);
  if (alive(pid)) try { process.kill(pid, 'SIGKILL'); } catch {}
  while (alive(pid) && Date.now() < until + 5000) await sleep(100);
}

/** The Debian archives the machine's apt uses (deb822 .sources or one-line
 * .list): { archive, security } URIs. Read here, at run time, never stored. */
export function debianMirrors() {
  const entries = [];
  const dir = '/etc/apt/sources.list.d';
  const files = ['/etc/apt/sources.list', ...(existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [])];
  for (const file of files) {
    const text = readFileSafe(file);
    if (file.endsWith('.sources')) {
      for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name) => (new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza) || [])[1]?.trim() ?? '';
        if (!/\bdeb\b/.test(field('Types')) || /^enabled:\s*no/mi.test(stanza)) continue;
        for (const uri of field('URIs').split(/\s+/)) for (const suite of field('Suites').split(/\s+/)) entries.push({ uri, suite });
      }
    } else if (file.endsWith('.list') || file === '/etc/apt/sources.list') {
      for (const line of text.split('\n')) {
        const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line.trim());
        if (m) entries.push({ uri: m[1], suite: m[2] });
      }
    }
  }
  const plain = entries.find((e) => /^[a-z]+$/.test(e.suite) && /^https?:/.test(e.uri));
  const security = entries.find((e) => /-security$/.test(e.suite) && /^https?:/.test(e.uri));
  if (!plain) throw new Error('no Debian archive found in /etc/apt (sources.list or sources.list.d/*.sources)');
  return { archive: plain.uri.replace(/\/$/, ''), security: security?.uri.replace(/\/$/, '') ?? null };
}

async function imageExists(name) {
  const r = await docker(['image', 'inspect', '--format', '{{.Id}}', name], { check: false, timeoutMs: 30000 });
  return r.code === 0;
}

/** debian:<generation>-slim, made from the cached minbase root (debootstrap
 * once, harness/lines.mjs ensureBase) when missing. Named as the
 * official images, so the same Dockerfiles build here and on users' machines
 * (where Docker pulls the official ones). */
async function ensureBaseImage(generation, log) {
  const name = `debian:${generation}-slim`;
  if (await imageExists(name)) return false;
  const { archive, security } = debianMirrors();
  const started = Date.now();
  const dir = mkdtempSync(`/var/tmp/jidroute-rootfs-${generation}-`);
  try {
    await run('cp', ['-a', `${await ensureBase(generation, log)}/.`, dir], { timeoutMs: 600000 });
    // Sources as the official images have them: the release, its updates and
    // its security archive (unstable has neither).
    const sid = generation === 'sid';
    const sources = [`Types: deb\nURIs: ${archive}\nSuites: ${generation}${sid ? '' : ` ${generation}-updates`}\nComponents: main\n`];
    if (security && !sid) sources.push(`Types: deb\nURIs: ${security}\nSuites: ${generation}-security\nComponents: main\n`);
    writeHostAptOptions(dir);
    rmSync(join(dir, 'etc/apt/sources.list'), { force: true });
    writeFileSync(join(dir, 'etc/apt/sources.list.d/debian.sources'), sources.join('\n'));
    for (const sub of ['var/lib/apt/lists', 'var/cache/apt/archives']) {
      for (const f of readdirSync(join(dir, sub))) if (f !== 'partial' && f !== 'lock') rmSync(join(dir, sub, f), { recursive: true, force: true });
    }
    await run('sh', ['-c', `tar -C "$1" --numeric-owner -c . | "$2" import - "$3"`, 'import', dir, DOCKER, name], { timeoutMs: 300000 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  log(`made ${name} from its minbase root in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return true;
}

/** Builds one image from docker/<what>.Dockerfile (cached layers are reused;
 * the COPY of dist/ is redone whenever the build output changed). */
export async function buildImage(what, generation, log) {
  const started = Date.now();
  await docker(['build', '--network', 'host', '-q', '-f', join(ROOT, `docker/${what}.Dockerfile`),
    '--build-arg', `BASE=debian:${generation}-slim`, '-t', image(what, generation), ROOT],
  { timeoutMs: 900000, env: { DOCKER_BUILDKIT: '0' } });
  log(`built ${image(what, generation)} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** jidroute-haproxy:3.4: HAProxy 3.4.0 built from the vendored source (the
 * cached build, harness/lines.mjs) in the official image's layout. The
 * build context is a temporary folder: the binary lives outside the
 * repository. */
export async function buildHaproxy34Image(log) {
  const started = Date.now();
  const binary = await ensureHaproxy34(log);
  const context = mkdtempSync('/var/tmp/jidroute-haproxy34-context-');
  try {
    for (const file of ['docker/haproxy-3.4.Dockerfile', 'docker/start-proxy.sh', 'haproxy/haproxy.cfg', 'dist/jidroute.lua']) {
      mkdirSync(join(context, file, '..'), { recursive: true });
      writeFileSync(join(context, file), readFileSync(join(ROOT, file)), { mode: file.endsWith('.sh') ? 0o755 : 0o644 });
    }
    mkdirSync(join(context, 'build'));
    writeFileSync(join(context, 'build/haproxy'), readFileSync(binary), { mode: 0o755 });
    await docker(['build', '--network', 'host', '-q', '-f', join(context, 'docker/haproxy-3.4.Dockerfile'),
      '--build-arg', `BASE=debian:${HAPROXY_34.base}-slim`, '-t', image('haproxy', '3.4'), context],
    { timeoutMs: 900000, env: { DOCKER_BUILDKIT: '0' } });
  } finally {
    rmSync(context, { recursive: true, force: true });
  }
  log(`built ${image('haproxy', '3.4')} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** Removes the containers a test process started (by label), and those of
 * test processes that died without removing theirs. */
async function removeContainers(onlyMine) {
  const r = await docker(['ps', '-a', '--filter', `label=${LABEL}`, '--format', `{{.ID}} {{.Label "${LABEL}"}}`], { check: false, timeoutMs: 30000 });
  const ids = r.stdout.split('\n').filter(Boolean).map((l) => l.split(' '))
    .filter(([, pid]) => Number(pid) === process.pid || (!onlyMine && !alive(Number(pid)))).map(([id]) => id);
  if (ids.length) await docker(['rm', '-f', ...ids], { check: false, timeoutMs: 60000 });
}

/**
 * Makes sure the engine and the images are there, for one test file; call
 * `release()` at the end (t.teardown): it removes this process's containers
 * and stops dockerd when this helper started it.
 * `images`: [what, generation] pairs to build; `bases`: generations whose
 * base image must be there (those of `images` always are).
 */
export async function useDocker({ images = [], bases = [], log = (s) => console.error(`# docker: ${s}`) } = {}) {
  const started = Date.now();
  await installMissingPackages(log);
  const unlock = await acquireLock(log);
  let daemonPid = null;
  const release = async () => {
    try {
      await removeContainers(true).catch(() => {});
      if (daemonPid) {
        await stopPid(daemonPid);
        if (readFileSafe(DAEMON_PID_FILE) === String(daemonPid)) rmSync(DAEMON_PID_FILE, { force: true });
        log(`stopped dockerd ${daemonPid}`);
      }
    } finally {
      unlock();
    }
  };
  try {
    daemonPid = await ensureDaemon(log);
    await removeContainers(false);
    const baseOf = (g) => (g === '3.4' ? HAPROXY_34.base : g);
    for (const generation of new Set([...bases, ...images.map(([, g]) => g)].map(baseOf))) await ensureBaseImage(generation, log);
    // Three builds at a time: on a cold machine each mostly waits on apt's
    // downloads and on the disk.
    const queue = [...images];
    const worker = async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const [what, generation] = next;
        if (generation === '3.4') await buildHaproxy34Image(log);
        else await buildImage(what, generation, log);
      }
    };
    await Promise.all([worker(), worker(), worker()]);
  } catch (e) {
    await release();
    throw e;
  }
  log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { release, label: `${LABEL}=${process.pid}`, daemonStarted: daemonPid !== null };
}

/** Runs a container on the host's network, detached, labelled as this
 * process's; resolves to its id. */
export async function runContainer(name, args) {
  const r = await docker(['run', '-d', '--network', 'host', '--label', `${LABEL}=${process.pid}`, '--name', name, ...args], { timeoutMs: 120000 });
  return r.stdout.trim();
}

export async function removeContainer(name) {
  await docker(['stop', '-t', '10', name], { check: false, timeoutMs: 30000 });
  await docker(['rm', '-f', name], { check: false, timeoutMs: 30000 });
}

/** What a one-off command prints inside an image. */
export async function inImage(imageName, command) {
  const r = await docker(['run', '--rm', '--network', 'host', '--label', `${LABEL}=${process.pid}`, imageName, 'sh', '-c', command], { timeoutMs: 120000 });
  return r.stdout;
}
