// Runs of bytes of one class for the Lua build (HAProxy): one string.find with
// a Lua pattern (native) per run, where a loop would run Lua code for every
// byte. charclass.js.ts gives the same answers from regular expressions.
import { DOMAIN_ASCII_BYTES, LOCALPART_ASCII_BYTES, NAME_BYTES, PLAIN_TEXT_BYTES, SPACE_BYTES } from '../charclass';

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
export function skipClassLua(this: void, s: string, from: number, cls: number): number {
  const found = string.find(s, outsidePattern(cls), from + 1);
  return found === undefined ? s.length : found - 1;
}
