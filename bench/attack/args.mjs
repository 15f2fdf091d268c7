// Command-line options of the attack scripts: --name value, numbers where the
// default is a number. Every script prints its options and figures as JSON and
// writes them to bench/attack/results/<name>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../harness/proxies.mjs';

export function options(defaults) {
  const out = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unknown argument ${argv[i]}`);
    const name = m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(name in defaults)) throw new Error(`unknown option --${m[1]} (known: ${Object.keys(defaults).join(', ')})`);
    const value = m[2] ?? argv[++i];
    out[name] = typeof defaults[name] === 'number' ? Number(value) : value;
  }
  return out;
}

/** Writes the figures, with the commit and the proxies' versions they were
 * measured with; runs with JIDROUTE_CHROOT (the Debian 13 proxies) get
 * their own file. */
export function save(name, result) {
  const dir = join(ROOT, 'bench/attack/results');
  mkdirSync(dir, { recursive: true });
  const suffix = process.env.JIDROUTE_CHROOT ? '-chroot' : '';
  const file = join(dir, `${name}${suffix}.json`);
  writeFileSync(file, JSON.stringify({ when: new Date().toISOString(), ...machine(), ...result }, null, 2) + '\n');
  return file;
}

function machine() {
  const run = (cmd, args) => {
    const root = process.env.JIDROUTE_CHROOT;
    const r = root ? spawnSync('chroot', [root, cmd, ...args], { encoding: 'utf8' }) : spawnSync(cmd, args, { encoding: 'utf8' });
    return `${r.stdout || ''}${r.stderr || ''}`.trim();
  };
  const git = spawnSync('git', ['-C', ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).stdout.trim();
  const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'core', 'njs', 'haproxy'], { encoding: 'utf8' }).stdout.trim() !== '';
  return {
    commit: git + (dirty ? ' (core/, njs/ or haproxy/ changed since)' : ''),
    chroot: process.env.JIDROUTE_CHROOT || null,
    nginx: run('nginx', ['-v']).replace(/^nginx version: /, ''),
    njs: run('dpkg-query', ['-W', '-f=${Version}', 'libnginx-mod-stream-js']),
    haproxy: run('haproxy', ['-v']).split('\n')[0],
    cpus: cpus().length,
  };
}

// Ctrl-C or a timeout's SIGTERM: exit through process.exit, so that the
// proxies a script started are killed with it (harness/stack.mjs).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(130));
