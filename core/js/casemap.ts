// The case mapping of a non-ASCII JID part for the JavaScript builds (njs, and
// Node in the tests), two ways, one answer (test/casemap.test.mjs holds both
// to core/jid.ts's lowerPart, in Node and in the njs interpreter):
//
// - Under njs's own engine, its native String.prototype.toLowerCase: about
//   1.9M instructions for a 1,022-byte part (njs 0.7.9, callgrind), where the
//   loop below takes about 20k a code point (10M for the same part). njs maps
//   code point by code point (simple mappings) from a Unicode 14 table
//   (src/njs_unicode_lower_case.h, unchanged from 0.7.9 to 1.0.x); the core's
//   table is Unicode 17 with U+0130's two code points, so the code points where
//   the two differ (NJS_MAPS_OTHERWISE) take the loop.
// - Everywhere else (Node, QuickJS, whose toLowerCase follows other Unicode
//   versions and special casing), and for those code points: core/jid.ts's
//   lowerPart in one loop, with no call a code point but charCodeAt and the
//   table's own (core/casemap.ts), the ASCII bytes checked by one RegExp test,
//   and the unchanged bytes copied a run at a time. In njs 0.7.9 every
//   bytecode step costs some hundreds of instructions, and no other native
//   way does better (a RegExp replace or match costs 2.5k to 10k a match, and
//   njs 0.7.9 errs when a global RegExp resumes at the end of a string whose
//   length is a multiple of 32: "pcre2_match() failed: bad offset value").
//
// The Lua build has its own (core/lua/casemap.ts).
//
// Each evaluation of a RegExp literal gives a new object, so nothing here
// keeps state between calls (the QuickJS engine reuses contexts).
import { encodeUtf8 } from '../bytes';
import { lowerCodePoint, lowerMultiUtf8 } from '../casemap';
import { FIRST_CHAR, PAGES, PAGE_SIZE, BLOCKS } from '../casemap-table';
import { LOCALPART } from '../jid';

/** Whether a non-ASCII code point may stand in no JID part: C1 controls,
 * U+FFFD, and the separators and spaces of core/jid.ts (isForbiddenAnywhere,
 * isSpaceSeparator), here only those above U+007F. */
function refusedBeyondAscii(cp: number): boolean {
  if (cp < 0x1680) return cp <= 0xa0;
  return cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 ||
    cp === 0x202f || cp === 0x205f || cp === 0x3000 || cp === 0xfffd;
}

declare const njs: { engine?: string } | undefined;

/** Whether this runs on njs's own engine (njs.engine since 0.8.4: 'njs' or
 * 'QuickJS'; before, there is only njs's). */
function onNjsEngine(): boolean {
  return typeof njs === 'object' && njs !== null && (njs.engine === undefined || njs.engine === 'njs');
}

/** The bytes (one code unit a byte) of a part with no code point
 * NJS_MAPS_OTHERWISE holds, mapped by njs's toLowerCase; undefined when they
 * are not UTF-8 or hold a code point no part may hold beyond ASCII. */
function lowerNatively(part: string): string | undefined {
  // Bytes to text: encodeURIComponent writes a code unit 0x80-0xbf as
  // %C2%xx and 0xc0-0xff as %C3%8x-%C3%Bx; made back into one escape a byte,
  // decodeURIComponent reads them as UTF-8 and throws on anything that is
  // not (a cut sequence, an overlong form, a surrogate, beyond U+10FFFF).
  // Every '%' it writes starts an escape (a literal one is %25). The order
  // keeps each split from matching what an earlier one made: the first
  // leaves single escapes %80-%BF, which no '%C3%' can begin; '%C3' then
  // only ever starts a pair, until the last split makes %C0-%CF.
  const escaped = encodeURIComponent(part).split('%C2%').join('%').split('%C3%B').join('%F')
    .split('%C3%A').join('%E').split('%C3%9').join('%D').split('%C3%8').join('%C');
  let text: string;
  try {
    text = decodeURIComponent(escaped);
  } catch (e) {
    return undefined;
  }
  // Beyond ASCII, refusedBeyondAscii's code points.
  if (/[\u0080-\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufffd]/.test(text)) return undefined;
  // Text to bytes, in pieces: Function.apply takes only so many arguments
  // (njs 0.7.9 refuses 2048).
  const octets = new TextEncoder().encode(text.toLowerCase());
  let out = '';
  for (let at = 0; at < octets.length; at += 1024) {
    out += String.fromCharCode.apply(null, octets.subarray(at, at + 1024 < octets.length ? at + 1024 : octets.length) as unknown as number[]);
  }
  return out;
}

/** The UTF-8 of the code points njs's toLowerCase maps otherwise than the
 * core's table (njs 0.7.9, every code point compared; the same table to
 * 1.0.x): U+0130 (one code point in njs), and code points whose mappings came
 * with Unicode 15 to 17: U+1C89, U+A7CB, U+A7CC, U+A7CE, U+A7D2, U+A7D4,
 * U+A7DA, U+A7DC, U+10D50-U+10D65, U+16EA0-U+16EB8. */
const NJS_MAPS_OTHERWISE = /\xc4\xb0|\xe1\xb2\x89|\xea\x9f[\x8b\x8c\x8e\x92\x94\x9a\x9c]|\xf0\x90\xb5[\x90-\xa5]|\xf0\x96\xba[\xa0-\xb8]/;

export function lowerPartJs(this: void, part: string, kind: number): string | undefined {
  // ASCII the part may not hold (core/jid.ts: controls, space, and for a
  // localpart " & ' / : < > @, for a domain anything but letters, digits,
  // '-' and '.').
  const refused = kind === LOCALPART ? /[\x00-\x20"&'\/:<>@\x7f]/ : /[^A-Za-z0-9.\-\x80-\xff]/;
  if (refused.test(part)) return undefined;
  if (onNjsEngine() && !NJS_MAPS_OTHERWISE.test(part)) return lowerNatively(part);
  return lowerPartLoop(part);
}

/** core/jid.ts's lowerPart in one loop, once the ASCII is checked. */
function lowerPartLoop(part: string): string | undefined {
  let out = '';
  let from = 0; // the first byte not yet in `out`
  let i = 0;
  const n = part.length;
  while (i < n) {
    const b0 = part.charCodeAt(i);
    if (b0 < 0x80) {
      if (b0 >= 0x41 && b0 <= 0x5a) {
        out += part.substring(from, i) + String.fromCharCode(b0 + 32);
        from = i + 1;
      }
      i++;
      continue;
    }
    let cp = -1;
    let len = 0;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      const b1 = part.charCodeAt(i + 1);
      if ((b1 & 0xc0) === 0x80) { cp = (b0 - 0xc0) * 64 + (b1 - 0x80); len = 2; }
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      const b1 = part.charCodeAt(i + 1);
      const b2 = part.charCodeAt(i + 2);
      if ((b1 & 0xc0) === 0x80 && (b2 & 0xc0) === 0x80) {
        cp = ((b0 - 0xe0) * 64 + (b1 - 0x80)) * 64 + (b2 - 0x80);
        len = 3;
        if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) cp = -1;
      }
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      const b1 = part.charCodeAt(i + 1);
      const b2 = part.charCodeAt(i + 2);
      const b3 = part.charCodeAt(i + 3);
      if ((b1 & 0xc0) === 0x80 && (b2 & 0xc0) === 0x80 && (b3 & 0xc0) === 0x80) {
        cp = (((b0 - 0xf0) * 64 + (b1 - 0x80)) * 64 + (b2 - 0x80)) * 64 + (b3 - 0x80);
        len = 4;
        if (cp < 0x10000 || cp > 0x10ffff) cp = -1;
      }
    }
    if (cp < 0 || (cp < 0x1680 ? cp <= 0xa0 : refusedBeyondAscii(cp))) return undefined;
    // The direct index of core/casemap.ts's lowerCodePoint, inline.
    const page = (cp - (cp % PAGE_SIZE)) / PAGE_SIZE;
    const block = page < PAGES.length ? PAGES.charCodeAt(page) - FIRST_CHAR : 0;
    const entry = block === 0 ? 0 : BLOCKS.charCodeAt((block - 1) * PAGE_SIZE + (cp % PAGE_SIZE)) - FIRST_CHAR;
    if (entry !== 0) {
      out += part.substring(from, i) + (entry === 1 ? lowerMultiUtf8(cp) : encodeUtf8(lowerCodePoint(cp)));
      from = i + len;
    }
    i += len;
  }
  return from === 0 ? part : out + part.substring(from);
}
