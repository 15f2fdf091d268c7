// The release tarball (npm run release): its layout, checksums, version and
// reproducibility; then installed into a clean Debian container that has no
// Node (docker/release-test.Dockerfile: Debian's nginx and HAProxy only), where
// nginx and HAProxy run the example configs from the tarball (only their
// ports moved) and route one real header each, the key in their logs.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT, INSTALL_DIR, prepareNginx, prepareHaproxy } from '../harness/proxies.mjs';
import { tempDir, waitForPort, readIfExists, sleep } from '../harness/procs.mjs';
import { startBackend } from '../harness/backends.mjs';
import { openSession, verifySession, clientHeader, newTally } from '../harness/sessions.mjs';
import { useDocker, image, runContainer, removeContainer, docker } from '../harness/docker.mjs';

const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
const name = `jidroute-${version}`;

function release(out) {
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/release.mjs'), '--out', out], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`release failed: ${r.stderr}${r.stdout}`);
  return join(out, `${name}.tar.gz`);
}

const out = tempDir('jidroute-release-');
const tarball = release(out);
const tree = tempDir('jidroute-release-x-');
spawnSync('tar', ['-C', tree, '-xzf', tarball]);
const top = join(tree, name);

t.test('the tarball: layout, checksums, version', async (t) => {
  const list = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l && !l.endsWith('/'));
  const want = ['dist/jidroute.js', 'dist/jidroute.lua', 'njs/nginx.conf', 'njs/nginx-directtls.conf', 'njs/nginx-proxy-protocol.conf',
    'haproxy/haproxy.cfg', 'haproxy/haproxy-directtls.cfg', 'haproxy/haproxy-proxy-protocol.cfg',
    'README.md', 'LICENSE', 'VERSION', 'SHA256SUMS', 'install.sh'];
  for (const f of want) t.ok(list.includes(`${name}/${f}`), `holds ${f}`);
  t.ok(list.every((f) => f.startsWith(`${name}/`)), `everything under ${name}/`);
  t.notOk(list.some((f) => /node_modules|\.test\.|core\.mjs$|\.ts$/.test(f)), 'no sources, tests or node_modules');
  if (existsSync(join(ROOT, 'bin/jidroute'))) t.ok(list.includes(`${name}/bin/jidroute`), 'holds the CLI (bin/jidroute)');
  for (const f of ['dist/jidroute.js', 'dist/jidroute.lua', 'njs/nginx.conf', 'haproxy/haproxy.cfg', 'README.md']) {
    t.ok(readFileSync(join(top, f)).equals(readFileSync(join(ROOT, f))), `${f} is the checkout's`);
  }
  const check = spawnSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: top, encoding: 'utf8' });
  t.equal(check.status, 0, 'sha256sum -c SHA256SUMS passes');
  t.equal(check.stdout.split('\n').filter((l) => / OK$/.test(l)).length, list.length - 1, 'SHA256SUMS covers every other file');
  t.equal(readFileSync(join(top, 'VERSION'), 'utf8'), `${version}\n`, 'VERSION');
  t.match(readFileSync(join(top, 'dist/jidroute.js'), 'utf8'), new RegExp(`^// jidroute ${version.replace(/\./g, '\\.')}:`), 'version in the njs banner');
  t.match(readFileSync(join(top, 'dist/jidroute.lua'), 'utf8'), new RegExp(`^-- jidroute ${version.replace(/\./g, '\\.')}:`), 'version in the Lua banner');
  t.match(readFileSync(join(top, 'LICENSE'), 'utf8'), /^MIT License/, 'MIT LICENSE');
  // The njs module tells its version (Debian's njs interpreter on the host).
  const dir = tempDir('jidroute-njs-version-');
  writeFileSync(join(dir, 'main.js'), "import j from 'jidroute.js';\nconsole.log(j.version);\n");
  const njs = spawnSync('njs', ['-p', join(top, 'dist'), join(dir, 'main.js')], { encoding: 'utf8' });
  if (njs.error) t.comment('no njs interpreter here: jidroute.version not read');
  else t.equal(njs.stdout.trim(), version, 'jidroute.version from the njs module');
});

// The jidroute command from the tarball alone (Node 20, no node_modules, no
// build step): where, moves and report on the tarball's own example configs.
t.test('the jidroute command runs from the tarball', { skip: existsSync(join(top, 'bin/jidroute')) ? false : 'no bin/jidroute in this release' }, async (t) => {
  // As a user runs it: without the test runner's module hooks in NODE_OPTIONS.
  const cli = (args, input) => spawnSync('/bin/sh', ['-c', 'unset NODE_OPTIONS; exec "$@"', 'sh', join(top, 'bin/jidroute'), ...args],
    { cwd: top, encoding: 'utf8', input, timeout: 60000 });
  t.notOk(existsSync(join(top, 'node_modules')), 'no node_modules beside it');
  const where = cli(['where', 'juliet@example.com', '--config', 'njs/nginx.conf']);
  t.equal(where.status, 0, `where exits 0 ${where.stderr}`);
  t.match(where.stdout, /juliet@example\.com\s+127\.0\.0\.1:530[123]/, 'where names the key and a server of the config');
  const header = "<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
  const stdin = cli(['where', '-', '--config', 'haproxy/haproxy.cfg', '--haproxy-version', '2.6'], header);
  t.equal(stdin.status, 0, `where - (a header on standard input) exits 0 ${stdin.stderr}`);
  t.match(stdin.stdout, /domain\s+to\s+example\.com/, 'the header keyed by to under the domain policy');
  const moves = cli(['moves', '--before', 'njs/nginx.conf', '--after', 'njs/nginx.conf', '--generate', '200']);
  t.equal(moves.status, 0, `moves exits 0 ${moves.stderr}`);
  t.match(moves.stdout, /0 of 200 accounts move/, 'the same config moves nobody');
  const log = join(tempDir('jidroute-release-log-'), 'xmpp.log');
  writeFileSync(log, 'not a log line of the example formats\n');
  const report = cli(['report', log]);
  t.equal(report.status, 2, 'report on a foreign line exits 2');
  t.match(report.stderr, /xmpp\.log:1/, 'and names the file and line');
});

t.test('a changed file fails the checksums (and install.sh refuses it)', async (t) => {
  const copy = tempDir('jidroute-release-bad-');
  spawnSync('tar', ['-C', copy, '-xzf', tarball]);
  const f = join(copy, name, 'dist/jidroute.lua');
  writeFileSync(f, readFileSync(f, 'utf8').replace('jidroute', 'jidroutE'));
  t.not(spawnSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: join(copy, name) }).status, 0, 'sha256sum -c fails');
  const prefix = tempDir('jidroute-prefix-');
  const inst = spawnSync('sh', [join(copy, name, 'install.sh')], { env: { ...process.env, PREFIX: prefix }, encoding: 'utf8' });
  t.not(inst.status, 0, 'install.sh stops');
  t.notOk(existsSync(join(prefix, 'lib/jidroute/jidroute.lua')), 'and installs nothing');
});

t.test('the same checkout makes the same tarball, byte for byte', async (t) => {
  const again = release(tempDir('jidroute-release-again-'));
  t.ok(readFileSync(again).equals(readFileSync(tarball)), 'identical');
});

if (process.env.JIDROUTE_SKIP_DOCKER) {
  t.comment('JIDROUTE_SKIP_DOCKER is set: the tarball is not installed into a container');
} else {
  t.test('installed into Debian without Node: nginx and HAProxy route from it', async (t) => {
    t.setTimeout(30 * 60000);
    const engine = await useDocker({ images: [['release-test', 'bookworm']] });
    t.teardown(() => engine.release());
    const imageName = image('release-test', 'bookworm');
    const tally = newTally();
    for (const [kind, prepare, config] of [['nginx', prepareNginx, 'njs/nginx.conf'], ['haproxy', prepareHaproxy, 'haproxy/haproxy.cfg']]) {
      await t.test(kind, async (t) => {
        // The tarball's example config, ports moved, the module where
        // install.sh puts it (prepare* point it at dist/: put it back).
        const prepared = await prepare(relative(ROOT, join(top, config)), { edit: (s) => s.split(join(ROOT, 'dist') + '/').join(INSTALL_DIR) });
        t.match(readFileSync(prepared.conf, 'utf8'), new RegExp(`${INSTALL_DIR}jidroute\\.(js|lua)`), 'the config loads the installed module');
        const backends = [];
        for (const [i, p] of [5301, 5302, 5303].entries()) backends.push(await startBackend(`c2s-${i + 1}`, prepared.ports.get(p), { echo: true }));
        for (const [i, p] of [5401, 5402, 5403].entries()) backends.push(await startBackend(`s2s-${i + 1}`, prepared.ports.get(p), { echo: true }));
        const output = join(prepared.dir, 'output.log');
        const proxy = kind === 'nginx' ? `nginx -p ${prepared.dir} -c ${prepared.conf} -g 'daemon off;'` : `haproxy -W -db -f ${prepared.conf}`;
        const script = [
          'set -e',
          'if command -v node || command -v nodejs; then echo "node is here"; exit 3; fi',
          'echo "versions: $(dpkg-query -W -f \'${Package}=${Version} \' nginx-light libnginx-mod-stream-js haproxy)"',
          `mkdir -p /tmp/x && tar -C /tmp/x -xzf /release/${name}.tar.gz`,
          `sh /tmp/x/${name}/install.sh`,
          `exec ${proxy}`,
        ].join('\n');
        const container = `jidroute-release-${kind}-${process.pid}`;
        await runContainer(container, ['-v', `${out}:/release:ro`, '-v', `${prepared.dir}:${prepared.dir}`, imageName, 'sh', '-c', `(${script}) >>${output} 2>&1`]);
        try {
          try {
            await waitForPort(prepared.ports.get(5222), { timeoutMs: 60000 });
          } catch {
            throw new Error(`${kind} did not start in ${imageName}: ${readIfExists(output)}`);
          }
          t.comment(readIfExists(output).split('\n').filter((l) => /^versions:|^jidroute /.test(l)).join('; '));
          t.match(readIfExists(output), new RegExp(`jidroute ${version.replace(/\./g, '\\.')}: modules in /usr/local/lib/jidroute`), 'install.sh checked the sums and installed');
          t.notMatch(readIfExists(output), /node is here/, 'no Node in the container');
          const s = await openSession(prepared.ports.get(5222), clientHeader('alice@example.com/release'), { tally });
          t.ok(s.backend, `routed to ${s.backend}`);
          if (s.backend) {
            await s.roundTrip(256);
            await s.close();
          }
          t.same(verifySession(s, Object.fromEntries(backends.map((b) => [b.name, b])), tally), [], 'every byte through, both ways');
          await sleep(500);
          const log = kind === 'nginx' ? readIfExists(prepared.accessLog) : readIfExists(output);
          const key = kind === 'nginx' ? 'alice@example.com' : Buffer.from('alice@example.com').toString('hex').toUpperCase();
          t.match(log, new RegExp(`key=${key}\\b`, 'i'), `the key is in the ${kind} log`);
          t.match(log, /by=from\b/, 'keyed by from');
        } finally {
          await removeContainer(container);
          await Promise.all(backends.map((b) => b.die()));
        }
      });
    }
  });
}
