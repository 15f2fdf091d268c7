// A Debian sid root of this test's own (a chroot, not a container) with
// Prosody 13 installed, for the tests that run a current Prosody next to
// Debian 12's 0.12: made once with `cp -a` of the shared minbase root
// /var/cache/jidroute/roots/sid-base (or, on a new machine, with debootstrap
// from the archive the machine's apt already uses), then `apt-get install`
// inside. /proc, /dev, /tmp and this checkout are bind-mounted at the same
// paths while it is used, and unmounted afterwards.
import { existsSync, readFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ROOT } from './proxies.mjs';
import { debianMirrors } from './docker.mjs';

export const ROOTS = '/var/cache/jidroute/roots';
const BASE = join(ROOTS, 'sid-base');
// The machine's clock may be past the archive's Valid-Until (a frozen or
// snapshot mirror); the host's apt is configured alike.
const APT = ['-o', 'Acquire::Check-Valid-Until=false'];

function sh(cmd, args, { timeoutMs = 900000, input } = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: timeoutMs, input, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

const mounted = (path) => readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === path);

/** Bind-mounts /proc, /dev, /tmp and the checkout into `root`; returns the
 * unmount function (only what this call mounted). */
export function mountInto(root) {
  const mine = [];
  for (const [src, opts] of [['/proc', ['-t', 'proc', 'proc']], ['/dev', ['--bind', '/dev']], ['/tmp', ['--bind', '/tmp']], [ROOT, ['--bind', ROOT]]]) {
    const target = join(root, src);
    if (mounted(target)) continue;
    mkdirSync(target, { recursive: true });
    const r = sh('mount', [...opts, target]);
    if (!r.ok) throw new Error(`mount ${src} into ${root}: ${r.out}`);
    mine.push(target);
  }
  return () => { for (const target of mine.reverse()) sh('umount', ['-l', target]); };
}

/** Version of a package installed in `root`, or null. */
export function packageVersion(root, pkg) {
  const r = sh('chroot', [root, 'dpkg-query', '-W', '-f=${Version}', pkg], { timeoutMs: 30000 });
  return r.ok && r.out ? r.out.trim() : null;
}

/**
 * Makes (once) /var/cache/jidroute/roots/<name> with `packages` installed.
 * Returns { root } or { skip: 'why not' }; never throws. Needs root, and the
 * Debian archive when the packages are not installed yet.
 */
export function ensureSidRoot(name, packages) {
  const root = join(ROOTS, name);
  if (process.getuid?.() !== 0) return { skip: 'not root: cannot make or enter a chroot' };
  try {
    if (!existsSync(join(root, 'usr/bin/apt-get'))) {
      mkdirSync(ROOTS, { recursive: true });
      if (existsSync(join(BASE, 'usr/bin/apt-get'))) {
        const r = sh('cp', ['-a', BASE, root]);
        if (!r.ok) return { skip: `cp -a ${BASE} ${root} failed: ${r.out.slice(-300)}` };
      } else {
        if (!existsSync('/usr/sbin/debootstrap')) return { skip: `no ${BASE} and no debootstrap to make a sid root` };
        const r = sh('debootstrap', ['--variant=minbase', 'sid', root, debianMirrors().archive], { timeoutMs: 1800000 });
        if (!r.ok) return { skip: `debootstrap sid failed: ${r.out.slice(-300)}` };
      }
    }
    const missing = packages.filter((p) => !packageVersion(root, p));
    if (missing.length) {
      copyFileSync('/etc/resolv.conf', join(root, 'etc/resolv.conf'));
      const unmount = mountInto(root);
      try {
        // Package scripts must not start services inside the chroot.
        sh('chroot', [root, 'sh', '-c', "printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d"]);
        let r = sh('chroot', [root, 'apt-get', ...APT, 'update', '-qq']);
        if (!r.ok) return { skip: `apt-get update in ${root} failed: ${r.out.slice(-300)}` };
        r = sh('chroot', [root, 'apt-get', ...APT, 'install', '-y', '-qq', '--no-install-recommends', ...missing]);
        if (!r.ok) return { skip: `apt-get install ${missing.join(' ')} in ${root} failed: ${r.out.slice(-300)}` };
      } finally {
        unmount();
      }
    }
    return { root };
  } catch (e) {
    return { skip: String(e?.message ?? e) };
  }
}
