// A shortcut for reading a whole header in one go, where the platform has one.
// Lua (this file) has none: a loop over bytes is cheap there, and scanHeader
// does all the reading. The JavaScript builds take fast-header.regexp.ts.
import { HeaderScan, MORE } from './header';

/** Fills `scan` from `bytes` and returns the outcome, or returns MORE when
 * the shortcut does not apply; `scan` is untouched then. */
export function readWholeHeader(scan: HeaderScan, bytes: string): number {
  void scan;
  void bytes;
  return MORE;
}
