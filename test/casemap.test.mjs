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
