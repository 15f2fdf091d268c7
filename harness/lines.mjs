// The release lines the tests run (the version matrix): which nginx, HAProxy
// and Prosody a test process uses, chosen by JIDROUTE_LINE.
//
//   line       nginx / njs            HAProxy / Lua     Prosody   from
//   bookworm   1.22 / 0.7.9           2.6 / 5.3         0.12      the host (Debian 12)
//   trixie     1.26 / 0.8.9           3.0 / 5.4         (host's)  a Debian 13 root (chroot)
//   sid        1.30 / 1.0, njs engine 3.2 / 5.4         13        a Debian unstable root (chroot)
//   sid-qjs    1.30 / 1.0, QuickJS    3.4 / 5.4         13        the sid root; HAProxy built
//                                                                 from ../shared/vendor
//
// Roots are made with debootstrap from the Debian archive the machine's apt
// uses (read at run time) and cached under /var/cache/jidroute/roots/; the
// HAProxy 3.4 build is cached under /var/cache/jidroute/haproxy-<sha256>/,
// reused while the tarball's checksum is the same. Versions are whatever the
// archive serves that day: the tests check the line (1.30, 3.2), not the
// patch release, and log what they found.
import { existsSync, readFileSync, writeFileSync, mkdirSync, rmSync, renameSync, cpSync, readdirSync, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { debianMirrors, run } from './docker.mjs';
import { sleep } from './procs.mjs';

export const ROOT = resolve(new URL('..', import.meta.url).pathname);
export const CACHE = process.env.JIDROUTE_CACHE || '/var/cache/jidroute';
/** The vendored sources: beside the checkout, as CI lays them out (for a git
 * worktree: beside its main checkout). */
function findVendor() {
  if (process.env.JIDROUTE_VENDOR) return process.env.JIDROUTE_VENDOR;
  const beside = resolve(ROOT, '../shared/vendor');
  if (existsSync(beside)) return beside;
  const common = spawnSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim();
  const main = common ? resolve(common, '../../shared/vendor') : '';
  return main && existsSync(main) ? main : beside;
}
export const VENDOR = findVendor();
export const HAPROXY_TARBALL = join(VENDOR, 'haproxy-3.4.0.tar.gz');

// What each Debian root holds. nginx-light is gone from Debian 13 on; the
// module packages are what matters.
const PACKAGES = {
  trixie: ['nginx', 'libnginx-mod-stream', 'libnginx-mod-stream-js', 'haproxy'],
  sid: ['nginx', 'libnginx-mod-stream', 'libnginx-mod-stream-js', 'haproxy', 'prosody', 'lua-unbound', 'python3-slixmpp'],
};

/** The lines, by name. `want` is the line (major.minor) each must run. */
export const LINES = {
  bookworm: {
    debian: 12,
    nginx: { root: null, want: '1.22', njs: '0.7', engine: 'njs' },
    haproxy: { root: null, want: '2.6', lua: '5.3' },
    prosody: { root: null, want: '0.12' },
  },
  trixie: {
    debian: 13,
    nginx: { root: 'trixie', want: '1.26', njs: '0.8', engine: 'njs' },
    haproxy: { root: 'trixie', want: '3.0', lua: '5.4' },
    prosody: { root: null, want: '0.12' },
  },
  sid: {
    debian: 'unstable',
    nginx: { root: 'sid', want: '1.30', njs: '1.0', engine: 'njs' },
    haproxy: { root: 'sid', want: '3.2', lua: '5.4' },
    prosody: { root: 'sid', want: '13' },
  },
  'sid-qjs': {
    debian: 'unstable',
    nginx: { root: 'sid', want: '1.30', njs: '1.0', engine: 'qjs' },
    haproxy: { build: '3.4', want: '3.4', lua: '5.4' },
    prosody: { root: 'sid', want: '13' },
  },
};

export const LINE_NAMES = Object.keys(LINES);

/** The line this process runs (JIDROUTE_LINE, bookworm by default). */
export function currentLine() {
  const name = process.env.JIDROUTE_LINE || 'bookworm';
  const line = LINES[name];
  if (!line) throw new Error(`JIDROUTE_LINE=${name}: not one of ${LINE_NAMES.join(', ')}`);
  return { name, ...line };
}

export const rootDir = (suite) => join(CACHE, 'roots', suite);

const readSafe = (file) => { try { return readFileSync(file, 'utf8'); } catch { return ''; } };
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch { return false; } };

/** A lock between processes (a directory holding its owner's pid); bounded wait. */
export async function withLock(name, fn, timeoutMs = 30 * 60000) {
  const dir = join(CACHE, `.lock-${name}`);
  mkdirSync(CACHE, { recursive: true });
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(join(dir, 'owner'), String(process.pid));
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const owner = Number(readSafe(join(dir, 'owner')).trim());
      if (owner && !alive(owner)) { rmSync(dir, { recursive: true, force: true }); continue; }
      if (!owner) { await sleep(1000); if (!Number(readSafe(join(dir, 'owner')).trim())) rmSync(dir, { recursive: true, force: true }); continue; }
      if (Date.now() > until) throw new Error(`${dir}: still held by ${owner}`);
      await sleep(1000);
    }
  }
  try { return await fn(); } finally { rmSync(dir, { recursive: true, force: true }); }
}

const STAMP = '.jidroute-root';

/** The host's apt options that say how to trust its archive (a mirror that
 * serves a dated snapshot has Release files past their Valid-Until, and the
 * machine's apt is told so), written into a root or image made from it. */
export function writeHostAptOptions(root) {
  const dump = spawnSync('apt-config', ['dump'], { encoding: 'utf8' }).stdout || '';
  const lines = dump.split('\n').filter((l) => /^Acquire::(Check-Valid-Until|Check-Date) /.test(l));
  if (lines.length) writeFileSync(join(root, 'etc/apt/apt.conf.d/99jidroute-host'), lines.join('\n') + '\n');
}

/** Whether a root is ready (made by ensureRoot with the packages it needs now). */
export function rootReady(suite) {
  return readSafe(join(rootDir(suite), STAMP)).trim() === PACKAGES[suite].join(' ');
}

/**
 * The minbase root of `suite` (bookworm, trixie, sid) under CACHE/roots,
 * made once by debootstrap and then only copied: the release lines' roots
 * and the Docker base images (debian:<suite>-slim, harness/docker.mjs) start
 * from it, so a cold machine runs debootstrap once a suite. Returns its path.
 */
export async function ensureBase(suite, log = (s) => console.error(`# lines: ${s}`)) {
  const dir = rootDir(`${suite}-base`);
  const ready = () => existsSync(join(dir, 'usr/bin/apt-get'));
  if (ready()) return dir;
  return withLock(`base-${suite}`, async () => {
    if (ready()) return dir;
    if (process.getuid() !== 0) throw new Error(`making ${dir} needs root`);
    const started = Date.now();
    const work = `${dir}.new-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(join(CACHE, 'roots'), { recursive: true });
    const { archive } = debianMirrors();
    log(`debootstrap --variant=minbase ${suite} ${work} ${archive}`);
    await run('debootstrap', ['--variant=minbase', suite, work, archive], { timeoutMs: 1200000 });
    renameSync(work, dir);
    log(`made ${dir} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return dir;
  });
}

/**
 * Makes the Debian root `suite` (trixie, sid) under CACHE/roots unless it is
 * there: a copy of its minbase root (ensureBase), then the packages. Returns
 * its path.
 */
export async function ensureRoot(suite, log = (s) => console.error(`# lines: ${s}`)) {
  const dir = rootDir(suite);
  if (rootReady(suite)) return dir;
  const base = await ensureBase(suite, log);
  return withLock(`root-${suite}`, async () => {
    if (rootReady(suite)) return dir;
    if (process.getuid() !== 0) throw new Error(`making ${dir} needs root`);
    const started = Date.now();
    const work = `${dir}.new-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    const { archive } = debianMirrors();
    await run('cp', ['-a', base, work], { timeoutMs: 600000 });
    writeFileSync(join(work, 'etc/apt/sources.list'), `deb ${archive} ${suite} main\n`);
    writeFileSync(join(work, 'etc/resolv.conf'), readSafe('/etc/resolv.conf'));
    writeHostAptOptions(work);
    // No service starts inside the root while packages install.
    writeFileSync(join(work, 'usr/sbin/policy-rc.d'), '#!/bin/sh\nexit 101\n', { mode: 0o755 });
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    await run('chroot', [work, 'apt-get', 'update', '-qq'], { env, timeoutMs: 600000 });
    await run('chroot', [work, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...PACKAGES[suite]], { env, timeoutMs: 1200000 });
    await run('chroot', [work, 'apt-get', 'clean'], { env });
    writeFileSync(join(work, STAMP), PACKAGES[suite].join(' ') + '\n');
    // Never remove a root something is mounted into (its /dev is the host's).
    const busy = readSafe('/proc/mounts').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && (m === dir || m.startsWith(`${dir}/`)));
    if (busy.length) throw new Error(`${dir}: still mounted (${busy.join(', ')}); unmount it first`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
    log(`made ${dir} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return dir;
  });
}

/** The first 16 hex digits of the tarball's SHA-256, or null when it is missing. */
export function tarballId(file = HAPROXY_TARBALL) {
  if (!existsSync(file)) return null;
  return createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
}

/** Why the 3.4 rows cannot run here, or null when they can. */
export function haproxy34Missing() {
  if (existsSync(HAPROXY_TARBALL)) return null;
  return `HAProxy 3.4 rows skipped: put haproxy-3.4.0.tar.gz in ${VENDOR} (or set JIDROUTE_VENDOR to its folder)`;
}

export const haproxy34Dir = () => join(CACHE, `haproxy-${tarballId()}`);

/**
 * HAProxy 3.4.0 built from the vendored tarball (Lua 5.4, OpenSSL, PCRE2:
 * the official image's features that jidroute's configs use), cached while
 * the tarball's checksum is the same. Returns the binary's path.
 */
export async function ensureHaproxy34(log = (s) => console.error(`# lines: ${s}`)) {
  const missing = haproxy34Missing();
  if (missing) throw new Error(missing);
  const dir = haproxy34Dir();
  const binary = join(dir, 'haproxy');
  if (existsSync(binary)) return binary;
  return withLock('haproxy34', async () => {
    if (existsSync(binary)) return binary;
    const started = Date.now();
    const need = { gcc: '/usr/bin/gcc', make: '/usr/bin/make', 'libssl-dev': '/usr/include/openssl/ssl.h', 'libpcre2-dev': '/usr/include/pcre2.h', 'liblua5.4-dev': '/usr/include/lua5.4/lua.h' };
    const absent = Object.entries(need).filter(([, f]) => !existsSync(f)).map(([p]) => p);
    if (absent.length) {
      log(`installing ${absent.join(' ')}`);
      const env = { DEBIAN_FRONTEND: 'noninteractive' };
      await run('apt-get', ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '-qq', '--no-install-recommends', ...absent], { env, timeoutMs: 900000 });
    }
    const work = join(tmpdir(), `jidroute-haproxy34-${process.pid}`);
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    try {
      await run('tar', ['-xzf', HAPROXY_TARBALL, '-C', work]);
      const src = join(work, readdirSync(work).find((f) => f.startsWith('haproxy-')));
      await run('make', ['-j2', 'TARGET=linux-glibc', 'USE_LUA=1', 'LUA_INC=/usr/include/lua5.4', 'LUA_LIB_NAME=lua5.4',
        'USE_OPENSSL=1', 'USE_PCRE2=1'], { cwd: src, timeoutMs: 1800000 });
      mkdirSync(`${dir}.new`, { recursive: true });
      cpSync(join(src, 'haproxy'), join(`${dir}.new`, 'haproxy'));
      rmSync(dir, { recursive: true, force: true });
      renameSync(`${dir}.new`, dir);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    log(`built ${binary} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return binary;
  });
}

/** Mounts what a process run from `root` needs to see at the same paths:
 * /proc, /dev, /tmp (configs, logs, certificates) and this checkout (dist/,
 * test/prosody/). Only what is not mounted yet; `unmount()` undoes exactly
 * what this call mounted. */
export function mountInto(root) {
  const mounted = readSafe('/proc/mounts').split('\n').map((l) => l.split(' ')[1]);
  const done = [];
  for (const [path, how] of [['/proc', ['-t', 'proc', 'proc']], ['/dev', ['--rbind', '/dev']], [tmpdir(), ['--bind', tmpdir()]], [ROOT, ['--bind', ROOT]]]) {
    const target = join(root, path);
    if (mounted.includes(target)) continue;
    mkdirSync(target, { recursive: true });
    execFileSync('mount', [...how, target]);
    if (path === '/dev') spawnSync('mount', ['--make-rslave', target]);
    done.push(target);
  }
  const unmount = () => {
    for (const target of done.splice(0).reverse()) {
      if (spawnSync('umount', ['-R', target]).status !== 0) spawnSync('umount', ['-l', '-R', target]);
    }
  };
  return { unmount };
}

const inUse = new Map();
/** The root of `suite`, made when missing and mounted for this process
 * until it exits. */
export async function useRoot(suite) {
  const root = await ensureRoot(suite);
  if (!inUse.has(root)) {
    const m = mountInto(root);
    inUse.set(root, m);
    process.once('exit', m.unmount);
  }
  return root;
}

/**
 * How to run `program` (nginx, haproxy, prosody, prosodyctl) on a line:
 * [command, leading args]. Makes the root or the build when missing.
 * JIDROUTE_CHROOT=DIR (a root made by hand) still overrides the root.
 */
export async function commandFor(program, line = currentLine()) {
  const part = program.startsWith('prosody') ? line.prosody : line[program];
  if (program === 'haproxy' && part.build) return [await ensureHaproxy34(), []];
  const root = process.env.JIDROUTE_CHROOT || (part.root ? await useRoot(part.root) : null);
  return root ? ['chroot', [root, program]] : [program, []];
}

/** The njs line the current line's nginx runs ("0.7", "0.8", "1.0"). */
export const njsLine = (line = currentLine()) => line.nginx.njs;

/** nginx config text for the line's engine: `js_engine qjs;` in stream {}
 * on the QuickJS line, the text unchanged on the others. */
export function forEngine(text, line = currentLine()) {
  // A config without njs (the bench's plain nginx) has no js_engine to set.
  if (line.nginx.engine !== 'qjs' || !/ngx_stream_js_module/.test(text)) return text;
  if (!/^stream\s*\{\n/m.test(text)) throw new Error('no stream { block to put js_engine in');
  return text.replace(/^stream\s*\{\n/m, (m) => `${m}    js_engine qjs;\n`);
}

/** What the line's programs report: { nginx, njs, haproxy, lua, prosody }. */
export async function versions(line = currentLine()) {
  const out = {};
  const sh = async (program, args) => {
    const [cmd, pre] = await commandFor(program, line);
    const r = spawnSync(cmd, [...pre, ...args], { encoding: 'utf8' });
    return `${r.stdout}${r.stderr}`;
  };
  out.nginx = /nginx\/(\S+)/.exec(await sh('nginx', ['-v']))?.[1] ?? null;
  const root = line.nginx.root ? rootDir(line.nginx.root) : null;
  const q = (pkg, r) => {
    const args = ['-W', '-f', '${Version}', pkg];
    const res = r ? spawnSync('chroot', [r, 'dpkg-query', ...args], { encoding: 'utf8' }) : spawnSync('dpkg-query', args, { encoding: 'utf8' });
    return res.status === 0 ? res.stdout.replace(/-[^-]*$/, '') : null;
  };
  out.njs = q('libnginx-mod-stream-js', root);
  out.engine = line.nginx.engine;
  const hv = await sh('haproxy', ['-vv']);
  out.haproxy = /HAProxy version (\S+)/.exec(hv)?.[1] ?? null;
  out.lua = /Built with Lua version : Lua (\S+)/.exec(hv)?.[1] ?? null;
  out.prosody = q('prosody', line.prosody.root ? rootDir(line.prosody.root) : null);
  return out;
}

/** Makes every root and the HAProxy 3.4 build that are missing, at once
 * (debootstrap waits on the network, the build on the CPU): a cold machine
 * pays the longest of them, not their sum. Resolves to the seconds taken. */
export async function prepareLines(log) {
  const started = Date.now();
  const suites = new Set(Object.values(LINES).flatMap((l) => [l.nginx.root, l.haproxy.root, l.prosody.root]).filter(Boolean));
  await Promise.all([...[...suites].map((s) => ensureRoot(s, log)), ...(haproxy34Missing() ? [] : [ensureHaproxy34(log)])]);
  return (Date.now() - started) / 1000;
}
