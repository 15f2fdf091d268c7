// A Debian unstable (sid) root with nginx 1.30 / njs 1.0 (built with
// QuickJS, so `js_engine qjs` works), for running the tests' nginx from it
// with JIDROUTE_CHROOT. Made once and kept in a cache outside the
// repository: a copy of the minbase sid root at SID_BASE when there is one,
// else debootstrap from the Debian archive the machine's apt uses, then
// apt-get install of the nginx packages. sid moves: what a run found is
// returned as versions, never assumed.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { run, debianMirrors } from './docker.mjs';
import { ROOT } from './proxies.mjs';

export const ROOTS = '/var/cache/jidroute/roots';
/** A minbase sid root (debootstrap), copied, never changed. */
export const SID_BASE = join(ROOTS, 'sid-base');
export const QJS_SID_ROOT = process.env.JIDROUTE_QJS_ROOT || join(ROOTS, 'qjs-sid');
export const NGINX_PACKAGES = ['nginx-light', 'libnginx-mod-stream', 'libnginx-mod-stream-js'];
// Inside the root: the packages' services must not start.
const POLICY = '#!/bin/sh\nexit 101\n';
// A sid archive served as a snapshot can be older than its Release file's
// Valid-Until: apt would refuse it.
const APT = ['-o', 'Acquire::Check-Valid-Until=false', '-o', 'DPkg::Lock::Timeout=300'];
const ENV = { DEBIAN_FRONTEND: 'noninteractive' };

function dpkgVersions(root, packages) {
  const r = spawnSync('chroot', [root, 'dpkg-query', '-W', '-f', '${Package} ${Version} ${db:Status-Abbrev}\\n', ...packages], { encoding: 'utf8' });
  const out = {};
  for (const line of (r.stdout || '').split('\n')) {
    const [name, version, status] = line.split(' ');
    if (name && status === 'ii') out[name] = version;
  }
  return out;
}

function ready(root) {
  return existsSync(join(root, 'usr/sbin/nginx')) && existsSync(join(root, 'usr/lib/nginx/modules/ngx_stream_js_module.so'));
}

/**
 * The sid root with nginx, made when missing. Resolves to
 * { root, versions: { nginx, njs, qjs }, madeMs } or { skip: why } when it
 * cannot be made here (not root, no base and no debootstrap, no archive).
 */
export async function ensureSidNginxRoot({ root = QJS_SID_ROOT, log = (s) => console.error(`# sid root: ${s}`) } = {}) {
  if (process.getuid() !== 0) return { skip: 'making a Debian sid root needs root (chroot, apt-get)' };
  const started = Date.now();
  if (!ready(root)) {
    const fresh = `${root}.new-${process.pid}`;
    rmSync(fresh, { recursive: true, force: true });
    mkdirSync(dirname(root), { recursive: true });
    try {
      if (existsSync(join(SID_BASE, 'usr/bin/apt-get'))) {
        log(`copying ${SID_BASE}`);
        await run('cp', ['-a', SID_BASE, fresh], { timeoutMs: 600000 });
      } else if (existsSync('/usr/sbin/debootstrap')) {
        const { archive } = debianMirrors();
        log('debootstrap --variant=minbase sid');
        await run('debootstrap', ['--variant=minbase', 'sid', fresh, archive], { timeoutMs: 1200000 });
      } else {
        return { skip: `no Debian sid root: neither ${SID_BASE} nor debootstrap (apt-get install debootstrap) is there` };
      }
      writeFileSync(join(fresh, 'usr/sbin/policy-rc.d'), POLICY, { mode: 0o755 });
      if (existsSync('/etc/resolv.conf')) writeFileSync(join(fresh, 'etc/resolv.conf'), readFileSync('/etc/resolv.conf'));
      await run('chroot', [fresh, 'apt-get', ...APT, 'update', '-qq'], { env: ENV, timeoutMs: 600000 });
      await run('chroot', [fresh, 'apt-get', ...APT, 'install', '-y', '-qq', '--no-install-recommends', ...NGINX_PACKAGES], { env: ENV, timeoutMs: 900000 });
      if (!ready(fresh)) throw new Error('nginx or its stream js module missing after apt-get install');
      renameSync(fresh, root);
      log(`made ${root} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    } catch (e) {
      rmSync(fresh, { recursive: true, force: true });
      return { skip: `could not make a Debian sid root with nginx: ${String(e.message).split('\n')[0]}` };
    }
  }
  const v = dpkgVersions(root, ['nginx', 'libnginx-mod-stream-js', 'libqjs0']);
  return {
    root,
    versions: { nginx: v.nginx ?? null, njs: v['libnginx-mod-stream-js'] ?? null, qjs: v.libqjs0 ?? null },
    madeMs: Date.now() - started,
  };
}

function mounted(path) {
  return spawnSync('mountpoint', ['-q', path]).status === 0;
}

/**
 * Bind-mounts what a proxy run from the root needs at the same paths:
 * /proc, /dev, /tmp (the tests' config and log folders) and this checkout
 * (dist/, the example configs). Returns unmount(), which undoes only the
 * mounts made here (a mount already there is left as it is).
 */
export function mountForTests(root, paths = ['/proc', '/dev', '/tmp', ROOT]) {
  const made = [];
  try {
    for (const p of paths) {
      const target = join(root, p);
      if (mounted(target)) continue;
      mkdirSync(target, { recursive: true });
      const r = spawnSync('mount', ['--bind', p, target], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`mount --bind ${p} ${target}: ${r.stderr}`);
      made.push(target);
    }
  } catch (e) {
    for (const t of made.reverse()) spawnSync('umount', [t]);
    throw e;
  }
  return () => {
    for (const t of made.reverse()) {
      // A proxy that has just exited may still hold a file for a moment.
      for (let i = 0; i < 20 && spawnSync('umount', [t]).status !== 0; i++) spawnSync('sleep', ['0.2']);
    }
  };
}
