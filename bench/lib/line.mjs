// Where the benchmark's proxies come from: the host's (the default), a
// release line of harness/lines.mjs (--line trixie, sid, sid-qjs), a root of
// one's own (--chroot DIR), or another HAProxy binary on the host
// (--haproxy BIN, e.g. the 3.4 build).
//
// A line's proxies run from a copy of the line's root, CACHE/roots/<suite>-bench,
// with valgrind added, so that the instruction counts are taken inside the
// root (valgrind must run the root's nginx against the root's libraries).
// The tests' roots (CACHE/roots/<suite>) stay exactly what harness/lines.mjs
// made: nothing the tests run can see the bench's packages. The copy is
// cached and made again when the line's root was made again with other
// packages (its stamp differs).
import { existsSync, readFileSync, writeFileSync, mkdirSync, rmSync, renameSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { LINES, LINE_NAMES, rootDir, ensureRoot, ensureHaproxy34, mountInto, withLock, writeHostAptOptions } from '../../harness/lines.mjs';
import { debianMirrors, run } from '../../harness/docker.mjs';

const ROOT_STAMP = '.jidroute-root';
const BENCH_STAMP = '.jidroute-bench-root';
const BENCH_PACKAGES = ['valgrind'];

const readSafe = (file) => { try { return readFileSync(file, 'utf8'); } catch { return ''; } };
const mountPoints = () => readSafe('/proc/mounts').split('\n').map((l) => l.split(' ')[1]).filter(Boolean);

/** The bench's copy of the line root `suite`, with valgrind; made when missing. */
export async function benchRoot(suite, log = (s) => console.error(`# bench: ${s}`)) {
  const source = await ensureRoot(suite, log);
  const dir = rootDir(`${suite}-bench`);
  const want = () => `${readSafe(join(source, ROOT_STAMP)).trim()} + ${BENCH_PACKAGES.join(' ')}`;
  const ready = () => readSafe(join(dir, BENCH_STAMP)).trim() === want();
  if (ready()) return dir;
  return withLock(`bench-root-${suite}`, async () => {
    if (ready()) return dir;
    if (process.getuid() !== 0) throw new Error(`making ${dir} needs root`);
    const started = Date.now();
    const work = `${dir}.new-${process.pid}`;
    const view = `${dir}.view-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    // The line's root may be in use by a test (its /proc, /dev, /tmp and a
    // checkout mounted into it): a non-recursive bind mount shows the root's
    // own files without what is mounted inside, and the copy is made from it.
    mkdirSync(view, { recursive: true });
    await run('mount', ['--bind', source, view]);
    try {
      await run('cp', ['-a', view, work], { timeoutMs: 600000 });
    } finally {
      if (spawnSync('umount', [view]).status !== 0) spawnSync('umount', ['-l', view]);
      rmSync(view, { recursive: true, force: true });
    }
    // The archive this machine's apt uses, read now (not the one the root
    // was made from, which may have moved).
    const { archive } = debianMirrors();
    writeFileSync(join(work, 'etc/apt/sources.list'), `deb ${archive} ${suite} main\n`);
    writeFileSync(join(work, 'etc/resolv.conf'), readSafe('/etc/resolv.conf'));
    writeHostAptOptions(work);
    const env = { DEBIAN_FRONTEND: 'noninteractive' };
    log(`${dir}: installing ${BENCH_PACKAGES.join(' ')} into a copy of ${source}`);
    await run('chroot', [work, 'apt-get', 'update', '-qq'], { env, timeoutMs: 600000 });
    await run('chroot', [work, 'apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...BENCH_PACKAGES], { env, timeoutMs: 1200000 });
    await run('chroot', [work, 'apt-get', 'clean'], { env });
    writeFileSync(join(work, BENCH_STAMP), want() + '\n');
    const busy = mountPoints().filter((m) => m === dir || m.startsWith(`${dir}/`));
    if (busy.length) throw new Error(`${dir}: still mounted (${busy.join(', ')}); unmount it first`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(work, dir);
    log(`made ${dir} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return dir;
  });
}

/**
 * How each proxy runs: { nginx: { root, bin }, haproxy: { root, bin }, line,
 * engine }. `root` null is the host. Mounts what the roots need (/proc, /dev,
 * /tmp, this checkout; only what is not mounted yet) until the process exits.
 */
export async function proxySources({ line = '', chroot = '', haproxy = '' } = {}, log) {
  const runs = { nginx: { root: null, bin: 'nginx' }, haproxy: { root: null, bin: 'haproxy' }, line: line || null, engine: 'njs' };
  if (line) {
    const l = LINES[line];
    if (!l) throw new Error(`--line ${line}: not one of ${LINE_NAMES.join(', ')}`);
    runs.engine = l.nginx.engine;
    for (const p of ['nginx', 'haproxy']) {
      if (l[p].build) runs[p].bin = await ensureHaproxy34(log);
      else if (l[p].root) runs[p].root = await benchRoot(l[p].root, log);
    }
  }
  if (chroot) for (const p of ['nginx', 'haproxy']) if (!runs[p].bin.startsWith('/')) runs[p].root = resolve(chroot);
  if (haproxy) runs.haproxy = { root: null, bin: resolve(haproxy) };
  for (const root of new Set([runs.nginx.root, runs.haproxy.root].filter(Boolean))) {
    if (!existsSync(root)) throw new Error(`${root}: no such root`);
    const m = mountInto(root);
    process.once('exit', m.unmount);
    for (const sig of ['SIGINT', 'SIGTERM']) process.once(sig, () => { m.unmount(); process.exit(130); });
  }
  return runs;
}

/** [command, args] that run `bin args` as the source says, under `wrap`
 * (valgrind ...) inside the root when there is one. */
export function commandLine({ root, bin }, args, wrap = []) {
  return root ? ['chroot', [root, ...wrap, bin, ...args]] : [wrap.length ? wrap[0] : bin, [...wrap.slice(1), ...(wrap.length ? [bin] : []), ...args]];
}

/** Whether valgrind runs where the proxy runs (the host or its root). */
export function hasValgrind({ root }) {
  const r = root ? spawnSync('chroot', [root, 'valgrind', '--version']) : spawnSync('valgrind', ['--version']);
  return r.status === 0;
}

