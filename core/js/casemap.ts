// The case mapping of a non-ASCII JID part for the JavaScript builds (njs, and
// Node in the tests): core/jid.ts's lowerPart, with the per-byte work done by
// native string methods. In njs 0.7.9 lowerPart's loop costs about 32k
// instructions a code point (a bytecode step is 100 to 200 instructions); here
// one RegExp test checks the ASCII bytes, and one replace hands each non-ASCII
// sequence to a short function that checks it and looks its lowercase up in
// the core's table (core/casemap.ts). The Lua build has its own
// (core/lua/casemap.ts); test/casemap.test.mjs holds this one to lowerPart.
//
// Each evaluation of a RegExp literal gives a new object, so nothing here
// keeps state between calls (the QuickJS engine reuses contexts).
import { encodeUtf8 } from '../bytes';
import { lowerCodePoint, lowerMultiUtf8 } from '../casemap';
import { LOCALPART } from '../jid';

/** Whether a non-ASCII code point may stand in no JID part: C1 controls,
 * U+FFFD, and the separators and spaces of core/jid.ts (isForbiddenAnywhere,
 * isSpaceSeparator), here only those above U+007F. */
function refusedBeyondAscii(cp: number): boolean {
  if (cp < 0x1680) return cp <= 0xa0;
  return cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 ||
    cp === 0x202f || cp === 0x205f || cp === 0x3000 || cp === 0xfffd;
}

/** Code units a replace reads at a time. */
const WINDOW = 60;

export function lowerPartJs(this: void, part: string, kind: number): string | undefined {
  // ASCII the part may not hold (core/jid.ts: controls, space, and for a
  // localpart " & ' / : < > @, for a domain anything but letters, digits,
  // '-' and '.').
  const refused = kind === LOCALPART ? /[\x00-\x20"&'\/:<>@\x7f]/ : /[^A-Za-z0-9.\-\x80-\xff]/;
  if (refused.test(part)) return undefined;
  let valid = true;
  // Each run of ASCII capitals, and each sequence: a byte above 0x7f and the
  // continuation bytes after it. Any other grouping of a part's bytes is not
  // UTF-8 either, so the part is refused whenever lowerPart refuses it.
  function lowerSequence(seq: string): string {
    const n = seq.length;
    const b0 = seq.charCodeAt(0);
    // ASCII only, so toLowerCase maps it alike in every engine (on a byte
    // above 0x7f it would not: it would take it for a Latin-1 letter).
    if (b0 < 0x80) return seq.toLowerCase();
    let cp: number;
    if (n === 2 && b0 >= 0xc2 && b0 <= 0xdf) {
      cp = (b0 & 0x1f) * 64 + (seq.charCodeAt(1) & 0x3f);
    } else if (n === 3 && b0 >= 0xe0 && b0 <= 0xef) {
      cp = ((b0 & 0x0f) * 64 + (seq.charCodeAt(1) & 0x3f)) * 64 + (seq.charCodeAt(2) & 0x3f);
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) cp = -1;
    } else if (n === 4 && b0 >= 0xf0 && b0 <= 0xf4) {
      cp = (((b0 & 0x07) * 64 + (seq.charCodeAt(1) & 0x3f)) * 64 + (seq.charCodeAt(2) & 0x3f)) * 64 +
        (seq.charCodeAt(3) & 0x3f);
      if (cp < 0x10000 || cp > 0x10ffff) cp = -1;
    } else {
      cp = -1;
    }
    if (cp < 0 || refusedBeyondAscii(cp)) {
      valid = false;
      return seq;
    }
    const lower = lowerCodePoint(cp);
    if (lower === cp) return seq;
    return lower < 0 ? lowerMultiUtf8(cp) : encodeUtf8(lower);
  }
  // A window at a time: njs checks the UTF-8 of the subject from where each
  // match is sought to its end (core/js/charclass.ts, WINDOW), which over a
  // whole part made the replace cost grow with the square of its length.
  let lowered = '';
  let at = 0;
  while (at < part.length && valid) {
    let end = at + WINDOW;
    // Not inside a sequence: at most 3 continuation bytes follow a lead byte
    // (more, and the part is not UTF-8 however it is cut).
    for (let k = 0; k < 3 && end < part.length && (part.charCodeAt(end) & 0xc0) === 0x80; k++) end++;
    const window = part.substring(at, end);
    if (window.length % 32 === 0) {
      // njs 0.7.9 reads past the end of a string's offset index (one entry
      // every 32 characters) when a global RegExp resumes at the very end of a
      // string whose length is a multiple of 32 ("pcre2_match() failed: bad
      // offset value", or no end): a '.' at its end, which the expression
      // leaves alone, keeps it off that length.
      const mapped = (window + '.').replace(/[A-Z]+|[\x80-\xff][\x80-\xbf]*/g, lowerSequence);
      lowered += mapped.substring(0, mapped.length - 1);
    } else {
      lowered += window.replace(/[A-Z]+|[\x80-\xff][\x80-\xbf]*/g, lowerSequence);
    }
    at = end;
  }
  return valid ? lowered : undefined;
}
