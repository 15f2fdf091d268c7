// The version matrix (harness/lines.mjs): on every release line besides the
// host's (which the plain test files run), the same files run again with
// JIDROUTE_LINE set, so that nginx, HAProxy and Prosody come from that line:
//   trixie   nginx 1.26 / njs 0.8.9, HAProxy 3.0       (Debian 13 root)
//   sid      nginx 1.30 / njs 1.0 (njs engine), HAProxy 3.2, Prosody 13
//   sid-qjs  nginx 1.30 / njs 1.0 (QuickJS), HAProxy 3.4.0 (built from
//            ../shared/vendor), Prosody 13
// Each runs the routing suite on both proxies (every vector end to end, bytes
// unchanged, variables logged), proxies-agree and the tenants end to end
// with real Prosody. The versions each line found are printed as comments
// and kept in /var/cache/jidroute/versions-seen.json.
import t from 'tap';
import { join } from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import { LINES, ROOT, CACHE, versions, haproxy34Missing, prepareLines } from '../harness/lines.mjs';

// What each run found, kept beside the roots (unstable moves): the latest
// per line, with the date.
const SEEN = join(CACHE, 'versions-seen.json');
function record(name, found) {
  let all = {};
  try { all = JSON.parse(readFileSync(SEEN, 'utf8')); } catch {}
  all[name] = { ...found, date: new Date().toISOString() };
  try { writeFileSync(SEEN, JSON.stringify(all, null, 2) + '\n'); } catch {}
}

const FILES = ['nginx-routing', 'haproxy-routing', 'proxies-agree', 'e2e-tenants'];
// The hostile quick variants on the newest line of each proxy (nginx 1.30
// under QuickJS, HAProxy 3.4); test/qjs-hostile.test.mjs adds QuickJS's own.
const HOSTILE = ['slow-clients', 'floods', 'reload-under-load'];
const filesFor = (name) => (name === 'sid-qjs' ? [...FILES, ...HOSTILE] : FILES);
const only = process.env.JIDROUTE_LINES ? process.env.JIDROUTE_LINES.split(',') : Object.keys(LINES).filter((l) => l !== 'bookworm');
// Cold: two debootstraps, the packages and the HAProxy 3.4 build.
t.setTimeout(40 * 60000);
t.comment(`release lines ready in ${(await prepareLines()).toFixed(0)} s`);

for (const name of only) {
  const line = LINES[name];
  t.test(`line ${name}`, async (t) => {
    const missing = line.haproxy.build ? haproxy34Missing() : null;
    if (missing) t.comment(missing);
    const found = await versions({ name, ...line, ...(missing ? { haproxy: LINES.sid.haproxy } : {}) });
    t.comment(`line ${name}: nginx ${found.nginx}, njs ${found.njs} (${found.engine} engine)${missing ? '' : `, HAProxy ${found.haproxy}, Lua ${found.lua}`}, Prosody ${found.prosody}`);
    record(name, found);
    const env = { ...process.env, JIDROUTE_LINE: name, ...(missing ? { JIDROUTE_PROXIES: 'nginx' } : {}) };
    for (const file of filesFor(name)) {
      if (missing && (/haproxy|agree/.test(file) || HOSTILE.includes(file))) continue;
      const at = Date.now();
      await t.spawn(process.execPath, [join(ROOT, 'test', `${file}.test.mjs`)], { env, cwd: ROOT }, `${name}: ${file}`);
      t.comment(`${name}: ${file} took ${((Date.now() - at) / 1000).toFixed(0)} s`);
    }
  });
}
