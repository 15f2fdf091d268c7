// npm run release: jidroute-VERSION.tar.gz, what an operator installs
// without Node (VERSION from package.json; `npm run release` builds first).
//
//   jidroute-VERSION/
//     dist/jidroute.js  dist/jidroute.lua   the modules (version in the banner;
//                                           njs: jidroute.version)
//     njs/*.conf  haproxy/*.cfg             the example configs, as tested
//     install.sh                            sh install.sh: checks SHA256SUMS,
//                                           copies to /usr/local/lib/jidroute/
//     README.md  LICENSE  VERSION  SHA256SUMS
//     bin/jidroute  cli/...                 the Node CLI, when the checkout has one
//
// The tarball is reproducible: sorted names, owner 0, every mtime the last
// commit's time (SOURCE_DATE_EPOCH when set), gzip without a name or time.
//   node scripts/release.mjs [--out DIR]     (default: the repository's top)
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(new URL('..', import.meta.url).pathname);
const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const outArg = process.argv.indexOf('--out');
const outDir = resolve(outArg >= 0 ? process.argv[outArg + 1] : ROOT);
const name = `jidroute-${version}`;

function fail(message) {
  console.error(`release: ${message}`);
  process.exit(1);
}

/** Every file under dir (relative paths), sorted. */
function walk(dir, base = dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name === 'node_modules' || entry.name === 'test' || entry.name.startsWith('.')) continue;
      out.push(...walk(full, base));
    } else if (entry.isFile()) out.push(relative(base, full));
  }
  return out.sort();
}

const built = ['dist/jidroute.js', 'dist/jidroute.lua'];
for (const f of built) if (!existsSync(join(ROOT, f))) fail(`${f} missing: run npm run build first (npm run release does)`);
const banners = { 'dist/jidroute.js': `// jidroute ${version}:`, 'dist/jidroute.lua': `-- jidroute ${version}:` };
for (const [f, want] of Object.entries(banners)) {
  if (!readFileSync(join(ROOT, f), 'utf8').startsWith(want)) fail(`${f} was built for another version (banner is not "${want}"): npm run build`);
}

const files = [
  ...built,
  ...readdirSync(join(ROOT, 'njs')).filter((f) => f.endsWith('.conf')).sort().map((f) => `njs/${f}`),
  ...readdirSync(join(ROOT, 'haproxy')).filter((f) => f.endsWith('.cfg')).sort().map((f) => `haproxy/${f}`),
  'README.md', 'LICENSE',
];
// The Node CLI (bin/jidroute and what it loads from cli/), when there is one.
if (existsSync(join(ROOT, 'bin/jidroute'))) files.push('bin/jidroute');
if (existsSync(join(ROOT, 'cli'))) files.push(...walk(join(ROOT, 'cli')).map((f) => `cli/${f}`));
for (const f of readdirSync(join(ROOT, 'dist'))) {
  if (/^cli\b|^jidroute-cli\b/.test(f) && statSync(join(ROOT, 'dist', f)).isFile()) files.push(`dist/${f}`);
}
for (const f of files) if (!existsSync(join(ROOT, f))) fail(`${f} missing`);

const stage = mkdtempSync(join(tmpdir(), 'jidroute-release-'));
try {
  const top = join(stage, name);
  for (const f of files) {
    mkdirSync(join(top, f, '..'), { recursive: true });
    cpSync(join(ROOT, f), join(top, f));
  }
  cpSync(join(ROOT, 'scripts/install.sh'), join(top, 'install.sh'));
  writeFileSync(join(top, 'VERSION'), `${version}\n`);
  for (const f of walk(top)) chmodSync(join(top, f), f === 'install.sh' || f.startsWith('bin/') ? 0o755 : 0o644);
  // sha256sum -c SHA256SUMS, run inside jidroute-VERSION/, checks every other file.
  const sums = walk(top).map((f) => `${createHash('sha256').update(readFileSync(join(top, f))).digest('hex')}  ${f}\n`).join('');
  writeFileSync(join(top, 'SHA256SUMS'), sums, { mode: 0o644 });

  let epoch = process.env.SOURCE_DATE_EPOCH;
  if (!epoch) {
    const git = spawnSync('git', ['-C', ROOT, 'log', '-1', '--format=%ct'], { encoding: 'utf8' });
    epoch = git.status === 0 && git.stdout.trim() ? git.stdout.trim() : '0';
  }
  mkdirSync(outDir, { recursive: true });
  const tarball = join(outDir, `${name}.tar.gz`);
  const tar = execFileSync('tar', ['-C', stage, '--sort=name', '--owner=0', '--group=0', '--numeric-owner',
    `--mtime=@${epoch}`, '--format=gnu', '-cf', '-', name], { maxBuffer: 64 << 20 });
  const gz = spawnSync('gzip', ['-n', '-9', '-c'], { input: tar, maxBuffer: 64 << 20 });
  if (gz.status !== 0) fail(`gzip: ${gz.stderr}`);
  writeFileSync(tarball, gz.stdout);
  const sha = createHash('sha256').update(gz.stdout).digest('hex');
  writeFileSync(`${tarball}.sha256`, `${sha}  ${name}.tar.gz\n`);
  console.log(`wrote ${tarball} (${gz.stdout.length} bytes, ${walk(top).length} files, sha256 ${sha})`);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
