// Runs of bytes of one class, found in one call. This version is the Lua
// build's: one string.find with a Lua pattern (native) per run, where a loop
// would run Lua code for every byte. The JavaScript builds (nginx njs, Node)
// take charclass.regexp.ts instead, with the same answers from regular
// expressions. test/lua-parity.test.mjs holds the two to the same answers.

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

/** Bytes 0x80 to 0xFF as a range in a Lua pattern, with raw bytes (a string
 * is never changed, so a module-level one holds no state). */
const HIGH_BYTES = String.fromCharCode(0x80, 0x2d, 0xff);

/** A Lua pattern matching one byte outside `cls`. In brackets, "x-y" is a
 * range of raw bytes and "%-" a hyphen. */
function outsidePattern(cls: number): string {
  if (cls === NAME_BYTES) return '[^A-Za-z0-9._:%-' + HIGH_BYTES + ']';
  if (cls === SPACE_BYTES) return '[^ \t\r\n]';
  if (cls === PLAIN_TEXT_BYTES) return "[^ -%'-;=-~]";
  if (cls === LOCALPART_ASCII_BYTES) return '[^!#-%(-.0-9;=?A-~]';
  if (cls === DOMAIN_ASCII_BYTES) return '[^A-Za-z0-9.%-]';
  return '[^ -~]';
}

/** The index of the first byte at or after `from` that is not in `cls`, or
 * s.length when there is none. */
export function skipClass(s: string, from: number, cls: number): number {
  const found = string.find(s, outsidePattern(cls), from + 1);
  return found === undefined ? s.length : found - 1;
}
