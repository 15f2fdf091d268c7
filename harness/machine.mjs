// What a result was measured on (the machine, the programs' versions, the
// commit) and how busy it is: read from /proc and from the programs
// themselves. What a process costs is harness/proc-stats.mjs.
import os from 'node:os';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, existsSync, statSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './proxies.mjs';

/** stdout and stderr of a short command (nginx -v writes to stderr). */
function run(cmd, args, { chroot } = {}) {
  const [c, a] = chroot ? ['chroot', [chroot, cmd, ...args]] : [cmd, args];
  const r = spawnSync(c, a, { encoding: 'utf8', timeout: 10000 });
  return `${r.stdout || ''}${r.stderr || ''}`;
}

export function dpkgVersion(pkg, chroot) {
  return run('dpkg-query', ['-W', '-f=${Version}', pkg], { chroot }).trim() || undefined;
}

/** Cores, kernel, CPU model, proxy and interpreter versions, load.
 * `runs` (bench/lib/line.mjs): where each proxy runs, when not all from
 * `chroot` or the host. */
export function machineInfo({ chroot, runs } = {}) {
  const ng = runs ? { chroot: runs.nginx.root || undefined } : { chroot };
  const hp = runs ? { chroot: runs.haproxy.root || undefined } : { chroot };
  const hbin = runs?.haproxy.bin || 'haproxy';
  const nginx = (run(runs?.nginx.bin || 'nginx', ['-v'], ng).match(/nginx\/(\S+)/) || [])[1];
  const haproxy = (run(hbin, ['-v'], hp).match(/version (\S+)/) || [])[1];
  const haproxyLua = (run(hbin, ['-vv'], hp).match(/Built with Lua version : (.+)/) || [])[1];
  const where = runs && (runs.line || runs.nginx.root || runs.haproxy.root || hbin !== 'haproxy')
    ? { line: runs.line || undefined, engine: runs.engine, nginxRoot: runs.nginx.root || undefined,
      haproxyRoot: runs.haproxy.root || undefined, haproxyBin: hbin !== 'haproxy' ? hbin : undefined }
    : {};
  return {
    date: new Date().toISOString(),
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model,
    kernel: os.release(),
    memoryMiB: Math.round(os.totalmem() / 1048576),
    loadavg: readFileSync('/proc/loadavg', 'utf8').trim(),
    node: process.version,
    nginx,
    njsModule: dpkgVersion('libnginx-mod-stream-js', ng.chroot),
    haproxy,
    haproxyLua,
    njsCli: run('njs', ['-v']).trim() || undefined,
    lua53: run('lua5.3', ['-v']).trim().split('  ')[0] || undefined,
    lua54: run('lua5.4', ['-v']).trim().split('  ')[0] || undefined,
    chroot: chroot || undefined,
    ...where,
  };
}

/** Which code was measured: the commit, and whether the builds' sources
 * differed from it (the working tree is shared while others work). */
export function gitState() {
  const git = (args) => { try { return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim(); } catch { return ''; } };
  return {
    commit: git(['rev-parse', '--short', 'HEAD']),
    modified: git(['status', '--porcelain', '--', 'core', 'njs', 'haproxy', 'build.mjs']).split('\n').filter(Boolean),
  };
}

export function loadavg() {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

/** Share of both cores busy over `ms` (from /proc/stat): how much else runs. */
export async function busyShare(ms = 1000) {
  const read = () => {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const idle = f[3] + f[4];
    return { idle, total: f.reduce((a, b) => a + b, 0) };
  };
  const a = read();
  await new Promise((r) => setTimeout(r, ms));
  const b = read();
  return 1 - (b.idle - a.idle) / Math.max(1, b.total - a.total);
}

/** Compiles bench/loadgen.c once (again when the source is newer). */
export function buildLoadgen() {
  const src = join(ROOT, 'bench/loadgen.c');
  const dir = join(ROOT, 'bench/.build');
  const bin = join(dir, 'loadgen');
  if (existsSync(bin) && statSync(bin).mtimeMs >= statSync(src).mtimeMs) return bin;
  mkdirSync(dir, { recursive: true });
  execFileSync('cc', ['-O2', '-Wall', '-o', bin, src], { stdio: 'inherit' });
  return bin;
}
