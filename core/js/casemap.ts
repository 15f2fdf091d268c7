// The case mapping of a non-ASCII JID part for the JavaScript builds (njs, and
// Node in the tests): core/jid.ts's lowerPart in one loop, with no call a code
// point but charCodeAt and the table's own (core/casemap.ts), the ASCII bytes
// checked by one RegExp test, and the unchanged bytes copied a run at a time.
// In njs 0.7.9 this takes about 20k instructions a code point where lowerPart
// takes 22k: every bytecode step costs some hundreds, and no native way does
// better (a RegExp replace or match costs 2.5k to 10k a match, and njs 0.7.9
// errs when a global RegExp resumes at the end of a string whose length is a
// multiple of 32: "pcre2_match() failed: bad offset value"). The Lua build
// has its own (core/lua/casemap.ts); test/casemap.test.mjs holds both to
// lowerPart.
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

export function lowerPartJs(this: void, part: string, kind: number): string | undefined {
  // ASCII the part may not hold (core/jid.ts: controls, space, and for a
  // localpart " & ' / : < > @, for a domain anything but letters, digits,
  // '-' and '.').
  const refused = kind === LOCALPART ? /[\x00-\x20"&'\/:<>@\x7f]/ : /[^A-Za-z0-9.\-\x80-\xff]/;
  if (refused.test(part)) return undefined;
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
