// compose.yaml as a user runs it: `up` builds and starts both proxies and the
// three stand-in servers on the host's network, a connection through every
// listener of each proxy reaches a server, the proxies' logs show the routing
// variables, `run --rm try` prints the demo's table, and `down` leaves nothing.
// Both generations (JIDROUTE_DEBIAN=bookworm, trixie). With
// JIDROUTE_COMPOSE="docker compose" it runs Compose v2 instead of 1.29.
import t from 'tap';
import net from 'node:net';
import { join } from 'node:path';
import { ROOT, parseLog, ERROR_PATTERNS } from '../harness/proxies.mjs';
import { exchange } from '../harness/backends.mjs';
import { waitForPort } from '../harness/procs.mjs';
import { GENERATIONS, useDocker, run, DOCKER, docker } from '../harness/docker.mjs';

const PROJECT = 'jidroute-compose-test';
const PROXIES = { nginx: '127.0.0.2', haproxy: '127.0.0.3' };
const LISTENERS = [5222, 5322, 5269];
const SERVERS = [5301, 5302, 5303, 5401, 5402, 5403];

function compose(args, generation, options = {}) {
  const [command, ...pre] = (process.env.JIDROUTE_COMPOSE || '/usr/bin/docker-compose').split(' ');
  return run(command === 'docker' ? DOCKER : command, [...pre, '-p', PROJECT, '-f', join(ROOT, 'compose.yaml'), ...args],
    // PATH: compose 1.29 builds with the `docker` it finds there; the one
    // docker.io installs, as on a fresh machine.
    { cwd: ROOT, timeoutMs: 900000, env: { JIDROUTE_DEBIAN: generation, PATH: `/usr/bin:${process.env.PATH}` }, ...options });
}

/** The logs of the services named (separated by spaces) without the
 * "name_1  | " prefix compose adds. */
async function serviceLog(services, generation) {
  const r = await compose(['logs', '--no-color', ...services.split(' ')], generation);
  return r.stdout.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split('\n').map((l) => l.replace(/^\S+\s+\| ?/, '')).join('\n');
}

const inUse = (host, port) => new Promise((resolve) => {
  const server = net.createServer();
  server.once('error', () => resolve(true));
  server.listen(port, host, () => server.close(() => resolve(false)));
});

const header = (from, to, ns = 'jabber:client') => Buffer.from(`<?xml version='1.0'?><stream:stream ${from ? `from='${from}' ` : ''}to='${to}' xmlns='${ns}' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);

if (process.env.JIDROUTE_SKIP_DOCKER) {
  t.plan(0, 'JIDROUTE_SKIP_DOCKER is set');
} else {
  t.setTimeout(30 * 60000);
  const generations = Object.keys(GENERATIONS);
  // The base images; compose builds the rest itself, as it does for users.
  const engine = await useDocker({ bases: generations });
  t.teardown(() => engine.release());

  const wanted = [...SERVERS.map((p) => ['127.0.0.1', p]), ...Object.values(PROXIES).flatMap((a) => LISTENERS.map((p) => [a, p]))];

  for (const generation of generations) {
    await t.test(`compose.yaml with JIDROUTE_DEBIAN=${generation}`, async (t) => {
      await compose(['down', '--remove-orphans'], generation, { check: false }); // a run killed midway
      const busy = [];
      for (const [host, port] of wanted) if (await inUse(host, port)) busy.push(`${host}:${port}`);
      if (busy.length) return t.fail(`the demo's ports are in use: ${busy.join(' ')}`);

      await compose(['up', '-d', '--build'], generation);
      t.teardown(async () => {
        await compose(['down', '--remove-orphans'], generation, { check: false });
      });
      const ps = await compose(['ps', '-q'], generation);
      t.equal(ps.stdout.trim().split('\n').filter(Boolean).length, 5, 'up -d --build: five containers (three servers, nginx, HAProxy)');
      for (const [host, port] of wanted) await waitForPort(port, { host, timeoutMs: 60000 });

      const want = GENERATIONS[generation];
      for (const [kind, address] of Object.entries(PROXIES)) {
        await t.test(`${kind} on ${address}`, async (t) => {
          const sent = [];
          for (const [port, bytes, key] of [
            [5222, header('juliet@capulet.example/balcony', 'capulet.example'), 'juliet@capulet.example'],
            [5322, header('nurse@capulet.example/kitchen', 'capulet.example'), 'capulet.example'],
            [5269, header('montague.example', 'capulet.example', 'jabber:server'), 'capulet.example'],
          ]) {
            const r = await exchange(port, bytes, { host: address });
            t.match(r.backend, /^server-[123]$/, `${address}:${port} reached a server (${r.backend})`);
            sent.push({ port, bytes, key, r });
          }
          // The log line is written when the session ends; allow it a moment.
          let log = '';
          for (let i = 0; i < 100; i++) {
            log = await serviceLog(kind, generation);
            if (sent.every(({ r }) => parseLog(kind, log).has(`127.0.0.1:${r.localPort}`))) break;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          const entries = parseLog(kind, log);
          for (const { port, key, r } of sent) {
            t.equal(entries.get(`127.0.0.1:${r.localPort}`)?.key, key, `${kind}'s log: port ${port} routed by ${key}`);
          }
          const versions = kind === 'nginx'
            ? new RegExp(`jidroute-start: nginx/${want.nginx}\\.\\S+, njs ${want.njs}[.-]`)
            : new RegExp(`jidroute-start: HAProxy version ${want.haproxy}\\.\\S+ .*Lua ${want.lua}\\.`);
          t.match(log, versions, `Debian ${want.debian}: ${(log.match(/^jidroute-start: (?!listening).*$/m) || [''])[0]}`);
          for (const pattern of ERROR_PATTERNS[kind]) t.notMatch(log, pattern, `no ${pattern} in its log`);
          // A server logs what came first once it has read it: allow that a
          // moment too (under load it came after the proxy's line; with the
          // bench beside the suite, 100 polls were once not enough).
          const logged = (servers, { bytes, r }) => servers.split('\n').find((l) => l.startsWith(`${r.backend} port `) && l.endsWith(` received: ${bytes.toString()}`));
          // One `compose logs` for the three (each call takes most of a
          // second), for at most 60 s.
          let servers = '';
          for (const until = Date.now() + 60000; Date.now() < until;) {
            servers = await serviceLog('server-1 server-2 server-3', generation);
            if (sent.every((s) => logged(servers, s))) break;
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
          for (const s of sent) {
            const lines = servers.split('\n').filter((l) => l.startsWith(`${s.r.backend} port `));
            t.ok(logged(servers, s), `${s.r.backend} logged the header it received${logged(servers, s) ? '' : ` (its lines: ${JSON.stringify(lines)})`}`);
          }
        });
      }

      await t.test('run --rm try: the table', async (t) => {
        const r = await compose(['run', '--rm', 'try'], generation);
        const rows = r.stdout.split('\n').filter((l) => /^(nginx|haproxy) +(bare|domain) /.test(l));
        t.equal(rows.length, 16, '2 proxies x 2 policies x 4 accounts');
        for (const row of rows) {
          const cells = row.trim().split(/\s+/);
          t.same([cells.length, cells[6]], [8, 'yes'], `${cells.slice(0, 3).join(' ')}: ${cells.slice(3, 6).join(' ')}`);
          t.ok(cells.slice(3, 6).concat(cells[7]).every((c) => /^server-[123]$/.test(c)), 'every device landed on a server');
        }
        t.comment(`\n${r.stdout}`);
      });

      await t.test('down leaves nothing', async (t) => {
        await compose(['down', '--remove-orphans'], generation);
        const left = await docker(['ps', '-a', '--filter', `label=com.docker.compose.project=${PROJECT}`, '--format', '{{.Names}}']);
        t.equal(left.stdout.trim(), '', 'no containers of the project');
        for (const [host, port] of wanted) t.notOk(await inUse(host, port), `${host}:${port} is free again`);
      });
    });
  }
}
