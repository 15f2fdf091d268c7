// Unicode case mapping from the core's own table (core/casemap-table.ts), so
// that every build maps alike. RFC 8265 §3.3.2 rule 3 ("Case Mapping Rule")
// https://www.rfc-editor.org/rfc/rfc8265#section-3.3.2, used for the JID
// localpart by RFC 7622 §3.3.1 https://www.rfc-editor.org/rfc/rfc7622#section-3.3.1
import { BLOCKS, DELTAS, DELTA_WIDTH, FIRST_CHAR, LOWER_MULTI, MULTI_WIDTH, PAGES, PAGE_SIZE } from './casemap-table';
import { encodeUtf8 } from './bytes';

function hexAt(table: string, at: number, width: number): number {
  return parseInt(table.substring(at, at + width), 16);
}

/** The lowercase of `cp` when it is one code point (`cp` itself when it has
 * no other), or -1 when it is more than one (U+0130 only, in Unicode 17; see
 * lowerUtf8). A direct index (casemap-table.ts): the code point's page, then
 * its entry, then its delta: a few steps, where a search over runs of the
 * table took about 4 us a code point in njs. */
export function lowerCodePoint(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp;
  const page = (cp - (cp % PAGE_SIZE)) / PAGE_SIZE;
  if (page >= PAGES.length) return cp;
  const block = PAGES.charCodeAt(page) - FIRST_CHAR;
  if (block === 0) return cp;
  const entry = BLOCKS.charCodeAt((block - 1) * PAGE_SIZE + (cp % PAGE_SIZE)) - FIRST_CHAR;
  if (entry === 0) return cp;
  if (entry === 1) return -1;
  const at = entry * DELTA_WIDTH;
  const delta = hexAt(DELTAS, at + 1, 5);
  return DELTAS.charCodeAt(at) === 0x2d ? cp - delta : cp + delta;
}

/** The UTF-8 bytes of the lowercase of a code point that lowers to more than
 * one (lowerCodePoint gave -1). */
export function lowerMultiUtf8(cp: number): string {
  for (let m = 0; m < LOWER_MULTI.length; m += MULTI_WIDTH) {
    if (hexAt(LOWER_MULTI, m, 5) === cp) {
      let out = '';
      const count = hexAt(LOWER_MULTI, m + 5, 1);
      for (let i = 0; i < count; i++) out += encodeUtf8(hexAt(LOWER_MULTI, m + 6 + 5 * i, 5));
      return out;
    }
  }
  return encodeUtf8(cp);
}

/** The UTF-8 bytes of toLowerCase(cp). */
export function lowerUtf8(cp: number): string {
  const lower = lowerCodePoint(cp);
  return lower < 0 ? lowerMultiUtf8(cp) : encodeUtf8(lower);
}
