// The core's case-mapping table gives Unicode toLowerCase() for every code
// point (RFC 8265 §3.3.2 rule 3), as Node's ICU computes it.
import t from 'tap';
import { core } from '../harness/core.mjs';

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
