// Runs of bytes of one class for the JavaScript builds (njs, and Node in the
// tests), found by native regular expressions: in njs a loop costs about
// 1,000 instructions a byte. charclass.lua.ts gives the same answers from Lua
// patterns. Each expression matches one byte OUTSIDE its class; `g` lets exec
// start at lastIndex.
//
// Each evaluation of a RegExp literal gives a new object (compiled once, when
// the module is parsed), so the lastIndex that exec moves belongs to one call:
// no state is shared across connections (the QuickJS engine reuses contexts).
import {
  DOMAIN_ASCII_BYTES, LOCALPART_ASCII_BYTES, NAME_BYTES, PLAIN_TEXT_BYTES, SPACE_BYTES, inClass,
} from '../charclass';

/** Below this many bytes a loop is cheaper in njs than a RegExp exec (about
 * 0.16 us a byte against 2 us a call, measured on njs 0.7.9). */
const LOOP_BELOW = 12;

/** The expression that matches one byte outside `cls`. A switch over
 * literals, not an array: njs copies a module's arrays into every
 * connection's VM. */
function outsideOf(cls: number): RegExp {
  switch (cls) {
    case NAME_BYTES: return /[^A-Za-z0-9._:\-\x80-\xff]/g;
    case SPACE_BYTES: return /[^ \t\r\n]/g;
    case PLAIN_TEXT_BYTES: return /[^ !"#$%'()*+,\-./0-9:;=>?@A-Z[\\\]^_`a-z{|}~]/g;
    case LOCALPART_ASCII_BYTES: return /[^!#$%()*+,\-.0-9;=?A-Z[\\\]^_`a-z{|}~]/g;
    case DOMAIN_ASCII_BYTES: return /[^A-Za-z0-9.\-]/g;
    default: return /[^ -~]/g;
  }
}

/** The most bytes one exec searches. njs checks the subject string's UTF-8
 * from where exec starts to the string's end on every call (0.7.9 at least;
 * a byte string it does not check): about 8 instructions a byte left, 37k for
 * a search from the middle of an 8 KiB header however near the byte it finds.
 * Longer runs are searched a window at a time. */
const WINDOW = 128;

export function skipClassJs(this: void, s: string, from: number, cls: number): number {
  if (s.length - from < LOOP_BELOW) {
    let i = from;
    while (i < s.length && inClass(s.charCodeAt(i), cls)) i++;
    return i;
  }
  const outside = outsideOf(cls);
  let at = from;
  while (s.length - at > WINDOW) {
    const found = outside.exec(s.substring(at, at + WINDOW));
    if (found !== null) return at + found.index;
    outside.lastIndex = 0;
    at += WINDOW;
  }
  outside.lastIndex = at;
  const found = outside.exec(s);
  return found === null ? s.length : found.index;
}
