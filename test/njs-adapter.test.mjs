// dist/jidroute.js's handler under the njs interpreter (njs 0.7.9 on Debian
// 12), fed as nginx feeds it: njs 0.7's 'upload' event, a byte string of every
// byte read so far at each event. The handler reads plain ASCII as it came and
// remakes anything else one code unit a byte (njs/jidroute.ts): held here to
// the full reader's answers in Node (dist/core.mjs) on every vector, the TLS
// hellos, and generated and mutated headers, each whole and cut in pieces
// (twice in two, and some byte by byte).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { core } from '../harness/core.mjs';
import { loadVectors, byteString } from '../harness/vectors.mjs';
import { helloVectors } from '../harness/inputs/hellos.mjs';
import { random, randomHeader, mutate } from '../harness/inputs/generate.mjs';
import { ROOT } from '../harness/proxies.mjs';
import { tempDir } from '../harness/procs.mjs';

const SEED = Number(process.env.JIDROUTE_SEED ?? 5117);
const GENERATED = Number(process.env.JIDROUTE_NJS_ADAPTER_CASES ?? 3000);
const ADDRESS = '127.0.0.1';
const MODULE = process.env.JIDROUTE_NJS_ADAPTER_MODULE ?? join(ROOT, 'dist/jidroute.js');

const rng = random(SEED);
const cases = [];
const add = (name, bytes, policy) => {
  const cuts = [[]];
  if (bytes.length > 1) {
    for (let n = 0; n < 2; n++) cuts.push([1 + rng.int(bytes.length - 1)]);
  }
  for (const cut of cuts) cases.push({ name, bytes, policy, cut });
};
for (const v of [...loadVectors('development'), ...loadVectors('heldout'), ...loadVectors('client-shapes')]) {
  add(v.name, byteString(v.bytes), v.policy === 'domain' ? 'domain' : 'bare');
}
for (const h of helloVectors()) add(`hello ${h.name}`, byteString(h.bytes), h.policy === 'domain' ? 'domain' : 'bare');
for (let i = 0; i < GENERATED; i++) {
  const header = Buffer.from(randomHeader(rng).text, 'utf8');
  add(`generated ${i}`, byteString(i % 2 === 0 ? header : mutate(rng, header)), i % 3 === 0 ? 'domain' : 'bare');
}
// Byte by byte: every prefix an event of its own.
for (const v of loadVectors('heldout').slice(0, 40)) {
  const bytes = byteString(v.bytes);
  cases.push({ name: `${v.name}, byte by byte`, bytes, policy: 'bare', cut: Array.from({ length: bytes.length - 1 }, (_, k) => k + 1) });
}

const hex = (s) => Buffer.from(s, 'latin1').toString('hex');

/** What nginx would log from core/'s route: each variable's UTF-8 bytes; for
 * bytes that decide nothing yet, the variables unset and the handler waiting
 * (its timer is off: njs 0.7 does not resume preread from one). */
function wanted(c) {
  const router = core.newRouter(c.policy, undefined, core.FULL_READER_JS);
  const decided = core.feedRouter(router, c.bytes);
  const r = core.currentRoute(router, ADDRESS);
  const answer = decided ? [hex(r.key), r.routeBy, hex(r.from), hex(r.to), r.stream].join(' ') : 'unset  unset unset ';
  return { state: decided ? 'done' : 'open', answer: answer.length > 1000 ? 'sha1:' + createHash('sha1').update(answer).digest('hex') : answer };
}

const MAIN = `import jidroute from 'jidroute.js';
import fs from 'fs';
import crypto from 'crypto';
var lines = fs.readFileSync(process.argv[process.argv.length - 1], 'utf8').split('\\n');
function hexOf(v) { return v === undefined ? 'unset' : Buffer.from(v).toString('hex'); }
for (var n = 0; n < lines.length; n++) {
  if (lines[n] === '') continue;
  var f = lines[n].split(' ');
  var bytes = String.bytesFrom(f[1], 'hex');
  var cuts = f[2] === '-' ? [] : f[2].split(',');
  var handler;
  var s = {
    variables: { remote_addr: '${ADDRESS}', xmpp_header_limit: '8192', xmpp_header_timeout: '0' },
    on: function (e, h) { handler = h; }, off: function () { handler = undefined; },
    done: function () { s.finished = true; }, error: function (m) { s.errors.push(m); },
    finished: false, errors: [],
  };
  jidroute[f[0]](s);
  for (var k = 0; k <= cuts.length && !s.finished; k++) {
    if (handler) handler(k < cuts.length ? bytes.substring(0, +cuts[k]) : bytes, {});
  }
  var v = s.variables;
  // Long answers as their SHA-1: njs's console.log cuts lines at 2,048 bytes.
  var answer = [hexOf(v.xmpp_key), v.xmpp_route_by, hexOf(v.xmpp_from), hexOf(v.xmpp_to), v.xmpp_stream].join(' ');
  console.log('ROUTE ' + n + ' ' + (s.finished ? 'done' : 'open') + ' ' + s.errors.length + ' ' +
    (answer.length > 1000 ? 'sha1:' + crypto.createHash('sha1').update(answer).digest('hex') : answer));
}
`;

t.test('the njs handler routes as the full reader, fed as njs 0.7 feeds it', (t) => {
  const dir = tempDir('jidroute-njs-adapter-');
  writeFileSync(join(dir, 'jidroute.js'), readFileSync(MODULE, 'utf8'));
  writeFileSync(join(dir, 'main.js'), MAIN);
  writeFileSync(join(dir, 'cases.txt'), cases.map((c) => `${c.policy} ${hex(c.bytes)} ${c.cut.length ? c.cut.join(',') : '-'}`).join('\n') + '\n');
  const run = spawnSync('njs', ['-p', dir, join(dir, 'main.js'), join(dir, 'cases.txt')], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const got = new Map();
  for (const line of run.stdout.split('\n')) {
    const m = /ROUTE (\d+) (\w+) (\d+) (.*)$/.exec(line);
    if (m) got.set(Number(m[1]), { state: m[2], errors: Number(m[3]), answer: m[4] });
  }
  t.equal(got.size, cases.length, `njs answered every case (${run.stderr.split('\n').filter((l) => !/deprecated/.test(l)).join(' ').slice(0, 300) || 'ok'})`);
  let failures = 0;
  let recognisedWhole = 0;
  for (let i = 0; i < cases.length; i++) {
    const c = cases[i];
    const g = got.get(i);
    const want = wanted(c);
    const ok = g !== undefined && g.state === want.state && g.errors === 0 && g.answer === want.answer;
    if (!ok && failures++ < 10) {
      t.fail(`${c.name} (${c.policy}, cut at ${c.cut.slice(0, 5).join(',') || 'none'})`, { found: g, wanted: want });
    }
    if (c.cut.length === 0 && core.recognised((() => { const r = core.newRouter(c.policy, undefined); core.feedRouter(r, c.bytes); return r; })())) recognisedWhole++;
  }
  t.equal(failures, 0, `${cases.length} cases: every route the full reader's (${recognisedWhole} of them whole headers the recogniser takes)`);
  t.end();
});
