// The core's case-mapping table gives Unicode toLowerCase() for every code
// point (RFC 8265 §3.3.2 rule 3), as Node's ICU computes it.
import t from 'tap';
import { core } from '../harness/core.mjs';
import { compareBuilds } from '../harness/builds.mjs';

t.test('lowerUtf8 matches toLowerCase for every code point', async (t) => {
  let wrong = 0;
  const examples = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const want = Buffer.from(String.fromCodePoint(cp).toLowerCase(), 'utf8').toString('latin1');
    if (core.lowerUtf8(cp) !== want) { wrong++; if (examples.length < 5) examples.push(cp.toString(16)); }
  }
  t.equal(wrong, 0, `no code point maps differently (${examples.join(', ')})`);
});

t.test('a few mappings named in the RFCs and beyond ASCII', async (t) => {
  const lower = (s) => Buffer.from([...s].map((c) => core.lowerUtf8(c.codePointAt(0))).join(''), 'latin1').toString('utf8');
  t.equal(lower('JULIET'), 'juliet');
  t.equal(lower('ÉLODIE'), 'élodie');
  t.equal(lower('İ'), 'i\u0307', 'U+0130 lowers to two code points');
  t.equal(lower('ß'), 'ß', 'sharp s has no lowercase change');
  t.equal(lower('\u212a'), 'k', 'KELVIN SIGN lowers to ASCII k');
  t.equal(lower('\u{10400}'), '\u{10428}', 'outside the BMP');
});

// Each platform maps a non-ASCII part its own native way (core/js/casemap.ts,
// core/lua/casemap.ts) and checks attribute text its own way
// (core/js/xmltext.ts, core/lua/xmltext.ts): held to the portable functions
// (core/jid.ts lowerPart, core/xml.ts isXmlText) for every code point.
const seq = (cp) => core.encodeUtf8(cp);

t.test('the JavaScript mapping and text check agree with the portable ones', async (t) => {
  let wrong = 0;
  const examples = [];
  const check = (s) => {
    for (const kind of [core.LOCALPART, core.DOMAINPART]) {
      if (core.lowerPartJs(s, kind) !== core.lowerPart(s, kind)) { wrong++; if (examples.length < 5) examples.push(`${kind}:${Buffer.from(s, 'latin1').toString('hex')}`); }
    }
    if (core.isXmlTextJs(s) !== core.isXmlText(s)) { wrong++; if (examples.length < 5) examples.push(`xml:${Buffer.from(s, 'latin1').toString('hex')}`); }
  };
  for (let cp = 0; cp <= 0x10ffff; cp++) check('A' + seq(cp) + 'b');
  // Bytes that are not UTF-8: every pair, and cut or stray sequences.
  for (let a = 0x80; a < 0x100; a++) {
    for (let b = 0; b < 0x100; b++) { check(String.fromCharCode(a, b)); check('x' + String.fromCharCode(a, b, 0x80)); }
  }
  // Long parts, of lengths about multiples of 32 (njs 0.7.9's string index).
  for (let n = 1; n < 300; n += 7) { check(seq(0xc4).repeat(n)); check(seq(0x10400).repeat(n) + 'Q'); }
  t.equal(wrong, 0, `no input differs (${examples.join(', ')})`);
});

t.test('the Lua build maps every code point as the JavaScript build does', async (t) => {
  // Through the router, as HAProxy runs it: a code point in the localpart, the
  // domain of from and of to; code points a part refuses, each alone (it makes
  // the whole JID invalid), the others forty at a time.
  const header = (part) => Buffer.from(`<?xml version='1.0'?><stream:stream from='${part}@${part}.x/r' to='${part}.x' ` +
    "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>", 'latin1');
  const cases = [];
  let group = '';
  let count = 0;
  for (let cp = 0x41; cp <= 0x10ffff; cp++) {
    if (cp >= 0xd800 && cp <= 0xdfff) continue;
    const s = seq(cp);
    if (core.lowerPart(s, core.LOCALPART) === undefined || core.lowerPart(s, core.DOMAINPART) === undefined || !core.isXmlText(s)) {
      cases.push({ bytes: header(s), policy: 'bare', address: '::1', cuts: [] });
      continue;
    }
    group += s;
    if (++count === 40) { cases.push({ bytes: header(group), policy: 'bare', address: '::1', cuts: [] }); group = ''; count = 0; }
  }
  if (group !== '') cases.push({ bytes: header(group), policy: 'bare', address: '::1', cuts: [] });
  for (const interpreter of ['lua5.3', 'lua5.4']) {
    const result = compareBuilds(interpreter, cases);
    t.equal(result.luaCount, result.count, `${interpreter} answered every one of ${result.count} headers`);
    t.same(result.differences.slice(0, 3), [], `${interpreter}: no header gets a different answer (${result.differences.length} differ)`);
  }
});

// Under njs's own engine core/js/casemap.ts maps with njs's native
// toLowerCase, save for the code points njs maps otherwise: held here to the
// portable lowerPart in the njs interpreter itself (Debian 12's, njs 0.7.9;
// its case table is the one of every njs to 1.0.x), every code point in runs
// of 40 (a run's answer differs when any of its code points does), and bytes
// that are not UTF-8. njs frees nothing until its VM ends: one process a
// slice of the code points.
t.test('in njs, the native mapping agrees with the portable one', async (t) => {
  const { build } = await import('esbuild');
  const { njsSupported } = await import('../njs/target.mjs');
  const { spawnSync } = await import('node:child_process');
  const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'jidroute-casemap-njs-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'entry.ts'),
    "import { lowerPartJs } from '" + join(process.cwd(), 'core/js/casemap') + "';\n" +
    "import { lowerPart } from '" + join(process.cwd(), 'core/jid') + "';\n" +
    "import { encodeUtf8 } from '" + join(process.cwd(), 'core/bytes') + "';\n" +
    'export default { lowerPartJs, lowerPart, encodeUtf8 };\n');
  const out = await build({ entryPoints: [join(dir, 'entry.ts')], bundle: true, format: 'esm', write: false, supported: njsSupported, logLevel: 'silent' });
  writeFileSync(join(dir, 'casemap.js'), out.outputFiles[0].text.replace(/export\s*\{\s*(\w+)\s+as\s+default\s*\};?/, 'export default $1;'));
  const main = (from, to, bytes) => `import c from 'casemap.js';
var wrong = 0, checked = 0, examples = [];
function check(s) {
  for (var kind = 0; kind < 2; kind++) {
    checked++;
    if (c.lowerPartJs(s, kind) !== c.lowerPart(s, kind)) { wrong++; if (examples.length < 5) examples.push(kind + ':' + s.split('').map(function (x) { return x.charCodeAt(0).toString(16); }).join(' ').slice(0, 120)); }
  }
}
var run = '', n = 0;
for (var cp = ${from}; cp < ${to}; cp++) {
  if (cp >= 0xd800 && cp <= 0xdfff) continue;
  var s = c.encodeUtf8(cp);
  if (c.lowerPart(s, 0) === undefined || c.lowerPart(s, 1) === undefined) { check('A' + s + 'b'); continue; }
  run += s;
  if (++n === 40) { check(run); run = ''; n = 0; }
}
if (run !== '') check(run);
if (${bytes}) {
  for (var a = 0x80; a < 0x100; a++) for (var b = 0; b < 0x100; b++) { check(String.fromCharCode(a, b)); check('x' + String.fromCharCode(a, b, 0x80)); }
  for (var k = 1; k < 300; k += 7) { check(c.encodeUtf8(0xc4).repeat(k)); check(c.encodeUtf8(0x10400).repeat(k) + 'Q'); check(c.encodeUtf8(0x130).repeat(k) + c.encodeUtf8(0x410)); }
}
console.log(JSON.stringify({ wrong: wrong, checked: checked, examples: examples, engine: typeof njs === 'object' ? (njs.engine || 'njs') + ' ' + njs.version : '' }));
`;
  let wrong = 0;
  let checked = 0;
  const examples = [];
  let engine = '';
  const slice = 0x8000;
  for (let from = 0x80, i = 0; from <= 0x10ffff; from += slice, i++) {
    writeFileSync(join(dir, `main${i}.js`), main(from, Math.min(from + slice, 0x110000), i === 0));
    const r = spawnSync('njs', ['-p', dir, join(dir, `main${i}.js`)], { encoding: 'utf8', timeout: 300000, maxBuffer: 16 << 20 });
    if (r.status !== 0) { t.fail(`njs ran code points from ${from.toString(16)} (${r.status} ${(r.stderr || '').slice(0, 300)})`); return; }
    const res = JSON.parse(r.stdout.trim().split('\n').pop());
    wrong += res.wrong; checked += res.checked; examples.push(...res.examples); engine = res.engine;
  }
  t.ok(checked > 100000, `njs (${engine}) checked ${checked} parts`);
  t.equal(wrong, 0, `no part maps differently in njs (${examples.slice(0, 5).join('; ')})`);
});
