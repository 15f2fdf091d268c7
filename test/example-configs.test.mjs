// Every example config (njs/*.conf, haproxy/*.cfg: whatever files are there)
// loads with no alert and no warning on every line of the matrix:
// `nginx -t` on nginx 1.22/njs 0.7.9, 1.26/0.8.9, 1.30/1.0 (njs engine) and
// 1.30/1.0 (QuickJS), `haproxy -c` on HAProxy 2.6, 3.0, 3.2 and 3.4. Only the
// ports, the module's path and the certificate paths are moved (certificates
// made for the Direct TLS configs, as the end-to-end tests make them).
import t from 'tap';
import { readdirSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { prepareNginx, prepareHaproxy, ROOT } from '../harness/proxies.mjs';
import { LINES, commandFor, haproxy34Missing, forEngine, versions, prepareLines } from '../harness/lines.mjs';
import { makeStackPki, certificatePaths, mapPaths } from './lib/e2e.mjs';

const configs = (dir, ext) => readdirSync(join(ROOT, dir)).filter((f) => f.endsWith(ext)).sort().map((f) => `${dir}/${f}`);
const NGINX = configs('njs', '.conf');
const HAPROXY = configs('haproxy', '.cfg');
const pki = makeStackPki();
const paths = certificatePaths(pki);
const withCertificates = mapPaths(paths);

// What a clean load may not print. nginx -t prints "[notice]"-free
// "syntax is ok" / "test is successful" lines on stderr; anything at warn
// level or above is a finding. HAProxy -c prints NOTICEs on 3.x; WARNING
// and ALERT are findings.
const FINDINGS = { nginx: /\[(warn|error|crit|alert|emerg)\]/, haproxy: /\[(WARNING|ALERT)\]/ };

async function check(kind, lineName, configFile) {
  const line = { name: lineName, ...LINES[lineName] };
  const prepared = kind === 'nginx'
    ? await prepareNginx(configFile, { edit: (s) => forEngine(withCertificates(s), line) })
    : await prepareHaproxy(configFile, { edit: withCertificates });
  const [cmd, pre] = await commandFor(kind, line);
  const args = kind === 'nginx' ? ['-t', '-p', prepared.dir, '-c', prepared.conf] : ['-c', '-f', prepared.conf];
  return new Promise((resolve) => {
    const child = spawn(cmd, [...pre, ...args], { cwd: prepared.dir, timeout: 60000 });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('close', (code) => resolve({ code, output }));
  });
}

t.ok(NGINX.length >= 3 && HAPROXY.length >= 3, `found ${NGINX.join(', ')}; ${HAPROXY.join(', ')}`);

const skip34 = haproxy34Missing();
// A cold machine makes the Debian roots and the HAProxy 3.4 build here.
t.setTimeout(30 * 60000);
t.comment(`release lines ready in ${(await prepareLines()).toFixed(0)} s`);
for (const [lineName, line] of Object.entries(LINES)) {
  t.test(`line ${lineName}`, async (t) => {
    if (line.haproxy.build && skip34) t.comment(skip34);
    const found = await versions({ name: lineName, ...line, ...(line.haproxy.build && skip34 ? { haproxy: LINES.sid.haproxy } : {}) });
    t.comment(`line ${lineName}: ${JSON.stringify(found)}`);
    t.match(found.nginx, new RegExp(`^${line.nginx.want.replace('.', '\\.')}\\.`), `nginx ${line.nginx.want} (${found.nginx})`);
    t.match(found.njs, new RegExp(`^${line.nginx.njs.replace('.', '\\.')}\\.`), `njs ${line.nginx.njs} (${found.njs})`);
    // All files of a line at once; asserted in order.
    const nginx = await Promise.all(NGINX.map((file) => check('nginx', lineName, file)));
    for (const [i, file] of NGINX.entries()) {
      const r = nginx[i];
      t.equal(r.code, 0, `nginx ${line.nginx.want} (${line.nginx.engine} engine): ${file} loads`);
      t.notMatch(r.output, FINDINGS.nginx, `nginx ${line.nginx.want} (${line.nginx.engine}): ${file}: no warning or alert`);
      if (r.code !== 0 || FINDINGS.nginx.test(r.output)) t.comment(r.output);
    }
    if (line.haproxy.build && skip34) return;
    t.match(found.haproxy, new RegExp(`^${line.haproxy.want.replace('.', '\\.')}\\.`), `HAProxy ${line.haproxy.want} (${found.haproxy})`);
    t.match(found.lua, new RegExp(`^${line.haproxy.lua.replace('.', '\\.')}\\.`), `Lua ${line.haproxy.lua} (${found.lua})`);
    const haproxy = await Promise.all(HAPROXY.map((file) => check('haproxy', lineName, file)));
    for (const [i, file] of HAPROXY.entries()) {
      const r = haproxy[i];
      t.equal(r.code, 0, `HAProxy ${line.haproxy.want}: ${file} loads`);
      t.notMatch(r.output, FINDINGS.haproxy, `HAProxy ${line.haproxy.want}: ${file}: no warning or alert`);
      if (r.code !== 0 || FINDINGS.haproxy.test(r.output)) t.comment(r.output);
    }
  });
}
