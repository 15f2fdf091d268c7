// The byte classes the readers skip runs of, and the one portable test of a
// byte against a class. Finding a run natively differs by platform:
// charclass.js.ts (RegExp, njs and Node) and charclass.lua.ts (Lua patterns,
// HAProxy); each adapter hands its own to the router (a Recogniser's
// skipClass). test/lua-parity.test.mjs holds the two to the same answers.

/** XML NameChar on bytes: ASCII letters, digits, . - _ : and bytes >= 0x80. */
export const NAME_BYTES = 0;
/** XML white space: space, tab, CR, LF. */
export const SPACE_BYTES = 1;
/** Attribute text that XML reads as it is: printable ASCII and space, but not
 * < or & (and no tab, CR or LF, which XML normalises). */
export const PLAIN_TEXT_BYTES = 2;
/** ASCII a localpart may hold: printable, not space, not " & ' / : < > @
 * (RFC 7622 §3.3.1). */
export const LOCALPART_ASCII_BYTES = 3;
/** ASCII a domain may hold: letters, digits, '-' and '.'. */
export const DOMAIN_ASCII_BYTES = 4;
/** ASCII a resourcepart may hold: printable and space. */
export const RESOURCE_ASCII_BYTES = 5;

export function inClass(b: number, cls: number): boolean {
  if (cls === NAME_BYTES) {
    return (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) ||
      b === 0x2e || b === 0x2d || b === 0x5f || b === 0x3a || b >= 0x80;
  }
  if (cls === SPACE_BYTES) return b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d;
  if (cls === PLAIN_TEXT_BYTES) return b >= 0x20 && b <= 0x7e && b !== 0x3c && b !== 0x26;
  if (cls === LOCALPART_ASCII_BYTES) {
    return b >= 0x21 && b <= 0x7e && b !== 0x22 && b !== 0x26 && b !== 0x27 && b !== 0x2f &&
      b !== 0x3a && b !== 0x3c && b !== 0x3e && b !== 0x40;
  }
  if (cls === DOMAIN_ASCII_BYTES) {
    return (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) ||
      b === 0x2d || b === 0x2e;
  }
  return b >= 0x20 && b <= 0x7e;
}

/** The index of the first byte at or after `from` that is not in `cls`, or
 * s.length when there is none: a platform's native way (charclass.js.ts,
 * charclass.lua.ts). */
export type SkipClass = (this: void, s: string, from: number, cls: number) => number;
