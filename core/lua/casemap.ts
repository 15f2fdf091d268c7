// The case mapping of a non-ASCII JID part for the Lua build (HAProxy):
// core/jid.ts's lowerPart, with the per-byte work done by Lua's string
// library. lowerPart's loop costs about 23k instructions a code point in
// lua5.3 (typescript-to-lua's parseInt and charCodeAt helpers, and a string
// made again for every code point); here one string.find checks the ASCII
// bytes and string.gsub hands each non-ASCII sequence to a short function
// that checks it and looks its lowercase up in the core's table
// (core/casemap-table.ts) with string.byte. core/js/casemap.ts is the
// JavaScript one; the parity tests hold the two builds to the same answers.
import { encodeUtf8 } from '../bytes';
import { lowerMultiUtf8 } from '../casemap';
import { BLOCKS, DELTAS, DELTA_WIDTH, FIRST_CHAR, PAGES, PAGE_SIZE } from '../casemap-table';
import { LOCALPART } from '../jid';

/** Lua patterns with raw bytes (String.fromCharCode is string.char; a string
 * is never changed, so module-level ones hold no state). A sequence: a byte
 * above 0x7f and the continuation bytes after it. */
const SEQUENCE = '[' + String.fromCharCode(0x80) + '-' + String.fromCharCode(0xff) + '][' +
  String.fromCharCode(0x80) + '-' + String.fromCharCode(0xbf) + ']*';
/** ASCII a localpart may not hold: controls, space, " & ' / : < > @. */
const LOCALPART_REFUSED = '[' + String.fromCharCode(0) + '-' + String.fromCharCode(0x20) + '"&\'/:<>@' +
  String.fromCharCode(0x7f) + ']';
/** ASCII a domain may not hold: anything but letters, digits, '-' and '.'. */
const DOMAIN_REFUSED = '[^A-Za-z0-9.%-' + String.fromCharCode(0x80) + '-' + String.fromCharCode(0xff) + ']';

/** Whether a non-ASCII code point may stand in no JID part (core/jid.ts's
 * isForbiddenAnywhere and isSpaceSeparator above U+007F). */
function refusedBeyondAscii(cp: number): boolean {
  if (cp < 0x1680) return cp <= 0xa0;
  return cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 ||
    cp === 0x202f || cp === 0x205f || cp === 0x3000 || cp === 0xfffd;
}

/** The lowercase of `cp` as UTF-8, or undefined when it is `cp` itself: the
 * direct index of core/casemap.ts's lowerCodePoint, read with string.byte. */
function lowerOf(cp: number): string | undefined {
  const page = (cp - (cp % PAGE_SIZE)) / PAGE_SIZE;
  if (page >= PAGES.length) return undefined;
  const [pageByte] = string.byte(PAGES, page + 1, page + 1);
  const block = pageByte - FIRST_CHAR;
  if (block === 0) return undefined;
  const at = (block - 1) * PAGE_SIZE + (cp % PAGE_SIZE) + 1;
  const [entryByte] = string.byte(BLOCKS, at, at);
  const entry = entryByte - FIRST_CHAR;
  if (entry === 0) return undefined;
  if (entry === 1) return lowerMultiUtf8(cp);
  const record = entry * DELTA_WIDTH + 1;
  const [sign] = string.byte(DELTAS, record, record);
  const delta = tonumber(string.sub(DELTAS, record + 1, record + 5), 16) as number;
  return encodeUtf8(sign === 0x2d ? cp - delta : cp + delta);
}

export function lowerPartLua(this: void, part: string, kind: number): string | undefined {
  if (string.find(part, kind === LOCALPART ? LOCALPART_REFUSED : DOMAIN_REFUSED, 1) !== undefined) return undefined;
  let valid = true;
  const [mapped] = string.gsub(part, SEQUENCE, function (this: void, seq: string): string | undefined {
    const n = seq.length;
    const [b0, b1, b2, b3] = string.byte(seq, 1, 4);
    let cp = -1;
    if (n === 2 && b0 >= 0xc2 && b0 <= 0xdf) {
      cp = (b0 - 0xc0) * 64 + (b1 - 0x80);
    } else if (n === 3 && b0 >= 0xe0 && b0 <= 0xef) {
      cp = ((b0 - 0xe0) * 64 + (b1 - 0x80)) * 64 + (b2 - 0x80);
      if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff)) cp = -1;
    } else if (n === 4 && b0 >= 0xf0 && b0 <= 0xf4) {
      cp = (((b0 - 0xf0) * 64 + (b1 - 0x80)) * 64 + (b2 - 0x80)) * 64 + (b3 - 0x80);
      if (cp < 0x10000 || cp > 0x10ffff) cp = -1;
    }
    if (cp < 0 || refusedBeyondAscii(cp)) {
      valid = false;
      return undefined;
    }
    return lowerOf(cp);
  });
  if (!valid) return undefined;
  // ASCII capitals: string.lower on runs of them alone, so that no byte
  // above 0x7f meets a locale's tolower.
  const [lowered] = string.gsub(mapped, '[A-Z]+', string.lower);
  return lowered;
}
