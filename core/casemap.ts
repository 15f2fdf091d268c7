// Unicode case mapping from the core's own table (core/casemap-table.ts), so
// that every build maps alike. RFC 8265 §3.3.2 rule 3 ("Case Mapping Rule")
// https://www.rfc-editor.org/rfc/rfc8265#section-3.3.2, used for the JID
// localpart by RFC 7622 §3.3.1 https://www.rfc-editor.org/rfc/rfc7622#section-3.3.1
import { LOWER_MULTI, LOWER_RUNS, RUN_WIDTH } from './casemap-table';
import { encodeUtf8 } from './bytes';

function hexAt(table: string, at: number, width: number): number {
  return parseInt(table.substring(at, at + width), 16);
}

/** The UTF-8 bytes of toLowerCase(cp). */
export function lowerUtf8(cp: number): string {
  if (cp < 0x80) {
    return String.fromCharCode(cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp);
  }
  for (let m = 0; m < LOWER_MULTI.length; m += 6 + 5 * hexAt(LOWER_MULTI, m + 5, 1)) {
    if (hexAt(LOWER_MULTI, m, 5) === cp) {
      let out = '';
      const count = hexAt(LOWER_MULTI, m + 5, 1);
      for (let i = 0; i < count; i++) out += encodeUtf8(hexAt(LOWER_MULTI, m + 6 + 5 * i, 5));
      return out;
    }
  }
  // Binary search for the run that holds cp, if any.
  let lo = 0;
  let hi = LOWER_RUNS.length / RUN_WIDTH - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = mid * RUN_WIDTH;
    const start = hexAt(LOWER_RUNS, at, 5);
    if (cp < start) {
      hi = mid - 1;
    } else if (cp > hexAt(LOWER_RUNS, at + 5, 5)) {
      lo = mid + 1;
    } else {
      if ((cp - start) % hexAt(LOWER_RUNS, at + 10, 1) !== 0) return encodeUtf8(cp);
      const delta = hexAt(LOWER_RUNS, at + 12, 5);
      return encodeUtf8(LOWER_RUNS.charAt(at + 11) === '-' ? cp - delta : cp + delta);
    }
  }
  return encodeUtf8(cp);
}
