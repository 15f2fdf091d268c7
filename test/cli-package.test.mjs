// The jidroute command as people get it: from the release tarball (npm pack:
// dist/ built, no build step, nothing installed) and from a clone (dist/
// built on first run), with --help for the command and each subcommand.
import t from 'tap';
import { spawnSync, execFileSync } from 'node:child_process';
import { mkdirSync, copyFileSync, symlinkSync, existsSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tempDir } from '../harness/procs.mjs';
import { ROOT, runCli } from './lib/cli.mjs';

/** Runs `node BIN args` in `cwd` with nothing of the test runner. */
function run(bin, args, cwd) {
  return spawnSync('/bin/sh', ['-c', 'unset NODE_OPTIONS; exec "$@"', 'sh', process.execPath, bin, ...args], { cwd, encoding: 'utf8' });
}

const WHERE = ['where', 'juliet@example.com', 'Ünïcode@bücher.example'];

t.test('help', async (t) => {
  const top = await runCli(['--help']);
  t.equal(top.status, 0);
  for (const c of ['where', 'moves', 'report']) {
    t.match(top.stdout, new RegExp(`^  ${c} `, 'm'), `--help lists ${c}`);
    const h = await runCli([c, '--help']);
    t.equal(h.status, 0, `${c} --help: exit 0`);
    t.match(h.stdout, new RegExp(`^jidroute ${c} `), `${c} --help: its usage`);
  }
  const none = await runCli([]);
  t.equal(none.status, 2, 'no command: usage, exit 2');
  const bad = await runCli(['where', '--frobnicate']);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /^jidroute where: unknown option --frobnicate\n$/);
});

t.test('the release tarball runs with no build step and nothing installed', async (t) => {
  const dir = tempDir('jidroute-pack-');
  const packed = JSON.parse(execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }));
  const files = packed[0].files.map((f) => f.path).sort();
  for (const f of ['bin/jidroute', 'dist/cli.mjs', 'dist/core.mjs', 'dist/jidroute.js', 'dist/jidroute.lua', 'njs/nginx.conf', 'haproxy/haproxy.cfg']) t.ok(files.includes(f), `holds ${f}`);
  t.notOk(files.some((f) => /^(core|cli|test|bench)\//.test(f) || f === 'build.mjs'), 'no sources, tests or build script');
  execFileSync('tar', ['xzf', join(dir, packed[0].filename)], { cwd: dir });
  const bin = join(dir, 'package/bin/jidroute');
  for (const config of ['njs/nginx.conf', 'haproxy/haproxy.cfg']) {
    const fromTar = run(bin, [...WHERE, '--config', join(dir, 'package', config), '--haproxy-version', '2.6'], dir);
    t.equal(fromTar.status, 0, `${config}: exit 0 (${fromTar.stderr.trim()})`);
    t.equal(fromTar.stderr, '', 'nothing built, nothing installed');
    const fromClone = await runCli([...WHERE, '--config', config, '--haproxy-version', '2.6']);
    const rows = (s) => s.split('\n').filter((l) => /(bare|domain)\s+(from|to)/.test(l));
    t.same(rows(fromTar.stdout), rows(fromClone.stdout), `${config}: the same answers as from the clone`);
  }
  t.notOk(existsSync(join(dir, 'package/node_modules')), 'no node_modules');
});

t.test('a clone without dist/ builds it on first run', async (t) => {
  const dir = tempDir('jidroute-clone-');
  // The checkout as git has it (no dist/), with the build tools of this one.
  const tracked = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const f of tracked) {
    if (!existsSync(join(ROOT, f))) continue;
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(ROOT, f), join(dir, f));
  }
  // Files of this change not committed yet.
  for (const d of ['cli', 'bin']) for (const n of readdirSync(join(ROOT, d))) copyFileSync(join(ROOT, d, n), join(dir, d, n));
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  t.notOk(existsSync(join(dir, 'dist')), 'no dist/ before');
  const first = run(join(dir, 'bin/jidroute'), [...WHERE, '--config', 'njs/nginx.conf'], dir);
  t.equal(first.status, 0, `exit 0 (${first.stderr.trim().split('\n').pop()})`);
  t.match(first.stderr, /building dist\//, 'it said it builds');
  t.ok(existsSync(join(dir, 'dist/cli.mjs')), 'dist/cli.mjs written');
  const second = run(join(dir, 'bin/jidroute'), [...WHERE, '--config', 'njs/nginx.conf'], dir);
  t.equal(second.stderr, '', 'the second run builds nothing');
  t.equal(second.stdout, first.stdout, 'and answers the same');
});
