// The routing scenarios against the four containerised proxies: nginx and
// HAProxy from Debian 12 (bookworm) and Debian 13 (trixie) images built from
// docker/, each with the module the image carries and the example config with
// only its ports moved, on the host's network.
import t from 'tap';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { prepareNginx, prepareHaproxy, droppedLogs, ROOT, INSTALL_DIR } from '../harness/proxies.mjs';
import { routingSuite } from './lib/routing-suite.mjs';
import { waitForPort, readIfExists } from '../harness/procs.mjs';
import { GENERATIONS, HAPROXY_34, image, useDocker, runContainer, removeContainer, inImage, docker } from '../harness/docker.mjs';
import { haproxy34Missing, prepareLines } from '../harness/lines.mjs';

const PROXIES = [
  { kind: 'nginx', delayMs: 10000, prepare: prepareNginx }, // preread_timeout in njs/nginx.conf
  { kind: 'haproxy', delayMs: 5000, prepare: prepareHaproxy }, // inspect-delay in haproxy/haproxy.cfg
];

if (process.env.JIDROUTE_SKIP_DOCKER) {
  t.plan(0, 'JIDROUTE_SKIP_DOCKER is set');
} else {
  // A cold machine installs Docker and builds the images first.
  t.setTimeout(30 * 60000);
  // Every generation's two images, and HAProxy 3.4 built from the vendored
  // source where ../shared/vendor has it.
  const ROWS = Object.entries(GENERATIONS).flatMap(([g, want]) => PROXIES.map((p) => ({ proxy: p, generation: g, want })));
  const skip34 = haproxy34Missing();
  if (skip34) t.comment(skip34);
  else ROWS.push({ proxy: PROXIES[1], generation: '3.4', want: { debian: `13, HAProxy built from source`, ...HAPROXY_34 } });
  // The release lines' roots and HAProxy build (harness/lines.mjs) are
  // made meanwhile on a cold machine: debootstrap mostly waits on the
  // network, and later files need them.
  const lines = prepareLines().catch((e) => e);
  const engine = await useDocker({ images: ROWS.map((r) => [r.proxy.kind, r.generation]) });
  t.teardown(() => engine.release());
  const linesDone = await lines;
  if (linesDone instanceof Error) throw linesDone;

  // The module inside the container, not the checkout's dist/.
  const inImageModule = (text) => text.split(join(ROOT, 'dist') + '/').join(INSTALL_DIR);

  async function startInContainer(prepared, imageName) {
    const { dir, conf } = prepared;
    const output = join(dir, 'output.log');
    // The temporary dir at the same path inside: the config in, the logs out.
    // Output to a file, not the container's pipe: HAProxy drops log lines when
    // a pipe is full.
    const command = prepared.kind === 'nginx'
      ? `exec nginx -p ${dir} -c ${conf} -g 'daemon off;' >>${output} 2>&1`
      : `exec haproxy -W -db -f ${conf} >>${output} 2>&1`;
    const name = `jidroute-test-${prepared.kind}-${imageName.split(':')[1]}-${process.pid}`;
    // As root: the official layout's user haproxy cannot read the test's
    // temporary folder (the layout test checks that user).
    await runContainer(name, ['-u', '0', '-v', `${dir}:${dir}`, imageName, 'sh', '-c', command]);
    try {
      await waitForPort([...prepared.ports.values()][0], { timeoutMs: 60000 });
    } catch {
      const logs = await docker(['logs', name], { check: false });
      await removeContainer(name);
      throw new Error(`${imageName} did not start: ${logs.stdout}${logs.stderr}${readIfExists(output)}`);
    }
    return {
      ...prepared,
      port: (p) => prepared.ports.get(p),
      log: () => readIfExists(prepared.kind === 'nginx' ? prepared.accessLog : output),
      // The runtime API socket is in the mounted folder (harness/proxies.mjs).
      droppedLogs: () => droppedLogs(prepared),
      errors: () => readIfExists(prepared.kind === 'nginx' ? prepared.errorLog : output),
      stop: () => removeContainer(name),
    };
  }

  for (const { proxy, generation, want } of ROWS) {
    {
      const imageName = image(proxy.kind, generation);
      await t.test(`${imageName} (Debian ${want.debian})`, async (t) => {
        await t.test('the image holds this build and the example config', async (t) => {
          const [file, config, conf] = proxy.kind === 'nginx'
            ? ['jidroute.js', 'njs/nginx.conf', 'nginx.conf']
            : ['jidroute.lua', 'haproxy/haproxy.cfg', 'haproxy.cfg'];
          const inside = await inImage(imageName, `cat ${INSTALL_DIR}${file}; echo '<<end>>'; cat /etc/jidroute/${conf}`);
          const [module, cfg] = inside.split('<<end>>\n');
          t.equal(module, readFileSync(join(ROOT, 'dist', file), 'utf8'), `${INSTALL_DIR}${file} is dist/${file}`);
          t.equal(cfg, readFileSync(join(ROOT, config), 'utf8'), `/etc/jidroute/${conf} is ${config}`);
        });

        if (generation === '3.4') {
          // docs/docker.md: the official haproxy image's layout, which this
          // image copies, and the module where the docs put it.
          await t.test("the official haproxy image's layout", async (t) => {
            const inspect = JSON.parse((await docker(['image', 'inspect', imageName])).stdout)[0].Config;
            t.same([inspect.User, inspect.WorkingDir, inspect.StopSignal, inspect.Cmd],
              ['haproxy', '/var/lib/haproxy', 'SIGUSR1', ['haproxy', '-f', '/usr/local/etc/haproxy/haproxy.cfg']], 'user, workdir, stop signal, command');
            const out = await inImage(imageName, 'id -u; command -v haproxy; cat /usr/local/etc/haproxy/haproxy.cfg; echo "<<end>>"; haproxy -c -f /usr/local/etc/haproxy/haproxy.cfg 2>&1; echo "rc=$?"');
            const [head, check] = out.split('<<end>>\n');
            const [uid, binary, ...cfg] = head.split('\n');
            t.same([uid, binary], ['99', '/usr/local/sbin/haproxy'], 'runs as uid 99; /usr/local/sbin/haproxy');
            t.equal(cfg.join('\n'), readFileSync(join(ROOT, 'haproxy/haproxy.cfg'), 'utf8'), '/usr/local/etc/haproxy/haproxy.cfg is haproxy/haproxy.cfg');
            t.match(check, /rc=0/, 'the example config loads there, as the user haproxy');
            t.notMatch(check, /\[(WARNING|ALERT)\]/, 'with no warning or alert');
          });
        } else if (proxy.kind === 'nginx') {
          await t.test('the module paths docs/docker.md names', async (t) => {
            const out = await inImage(imageName, 'ls /usr/lib/nginx/modules/ngx_stream_js_module.so /etc/nginx/nginx.conf /usr/local/lib/jidroute/jidroute.js');
            t.equal(out.trim().split('\n').length, 3, out);
          });
        }

        await t.test('versions', async (t) => {
          if (proxy.kind === 'nginx') {
            const out = await inImage(imageName, "nginx -v 2>&1; dpkg-query -W -f '${Version}\\n' libnginx-mod-stream-js");
            const nginx = /nginx\/(\S+)/.exec(out)?.[1];
            const njs = out.trim().split('\n').pop();
            t.comment(`${imageName}: nginx ${nginx}, njs ${njs}`);
            t.match(nginx, new RegExp(`^${want.nginx.replace('.', '\\.')}\\.`), `nginx ${want.nginx}`);
            t.match(njs, new RegExp(`^${want.njs.replace(/\./g, '\\.')}[.-]`), `njs ${want.njs}`);
          } else {
            const out = await inImage(imageName, 'haproxy -vv');
            const haproxy = /HAProxy version (\S+)/.exec(out)?.[1];
            const lua = /Built with Lua version : Lua (\S+)/.exec(out)?.[1];
            t.comment(`${imageName}: HAProxy ${haproxy}, Lua ${lua}`);
            t.match(haproxy, new RegExp(`^${want.haproxy.replace('.', '\\.')}\\.`), `HAProxy ${want.haproxy}`);
            t.match(lua, new RegExp(`^${want.lua.replace('.', '\\.')}\\.`), `Lua ${want.lua}`);
          }
        });

        routingSuite(t, {
          kind: proxy.kind,
          delayMs: proxy.delayMs,
          // njs 0.7 does not resume preread from a timer (njs/jidroute.ts).
          cutShortForwards: proxy.kind === 'haproxy' || want.njs >= '0.8',
          prepare: () => proxy.prepare(undefined, { edit: inImageModule }),
          start: (prepared) => startInContainer(prepared, imageName),
        });
      });
    }
  }
}
