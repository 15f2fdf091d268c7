// Byte strings: the core reads and writes strings whose code units are bytes
// (0..255). Lua strings are bytes already; the njs adapter turns the preread
// Buffer into one. Defining every answer on bytes is what makes the njs and the
// Lua builds agree, whatever the njs version does with UTF-8.

/** The code point that starts at `at`, or -1 when the bytes there are not
 * well-formed UTF-8 (RFC 3629 §4: no overlongs, no surrogates, none above
 * U+10FFFF). https://www.rfc-editor.org/rfc/rfc3629#section-4 */
export function codePointAt(s: string, at: number): number {
  const b0 = s.charCodeAt(at);
  if (b0 < 0x80) return b0;
  let need: number;
  let cp: number;
  let min: number;
  if (b0 >= 0xc2 && b0 <= 0xdf) { need = 1; cp = b0 & 0x1f; min = 0x80; }
  else if (b0 >= 0xe0 && b0 <= 0xef) { need = 2; cp = b0 & 0x0f; min = 0x800; }
  else if (b0 >= 0xf0 && b0 <= 0xf4) { need = 3; cp = b0 & 0x07; min = 0x10000; }
  else return -1;
  if (at + need >= s.length) return -1;
  for (let i = 1; i <= need; i++) {
    const b = s.charCodeAt(at + i);
    if ((b & 0xc0) !== 0x80) return -1;
    cp = cp * 64 + (b & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return -1;
  return cp;
}

/** How many bytes the UTF-8 form of `cp` takes. */
export function utf8Length(cp: number): number {
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
}

/** The UTF-8 bytes of `cp`, as a byte string. */
export function encodeUtf8(cp: number): string {
  if (cp < 0x80) return String.fromCharCode(cp);
  if (cp < 0x800) return String.fromCharCode(0xc0 | (cp >>> 6), 0x80 | (cp & 0x3f));
  if (cp < 0x10000) {
    return String.fromCharCode(0xe0 | (cp >>> 12), 0x80 | ((cp >>> 6) & 0x3f), 0x80 | (cp & 0x3f));
  }
  return String.fromCharCode(
    0xf0 | (cp >>> 18), 0x80 | ((cp >>> 12) & 0x3f), 0x80 | ((cp >>> 6) & 0x3f), 0x80 | (cp & 0x3f));
}

/** True when every byte of `s` is below 0x80. */
export function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}
