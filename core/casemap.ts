// Unicode case mapping from the core's own table (core/casemap-table.ts), so
// that every build maps alike. RFC 8265 §3.3.2 rule 3 ("Case Mapping Rule")
// https://www.rfc-editor.org/rfc/rfc8265#section-3.3.2, used for the JID
// localpart by RFC 7622 §3.3.1 https://www.rfc-editor.org/rfc/rfc7622#section-3.3.1
import { LOWER_MULTI, LOWER_RUNS } from './casemap-table';
import { encodeUtf8 } from './bytes';

/** The UTF-8 bytes of toLowerCase(cp). */
export function lowerUtf8(cp: number): string {
  if (cp < 0x80) {
    return String.fromCharCode(cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp);
  }
  for (let m = 0; m < LOWER_MULTI.length; m++) {
    const entry = LOWER_MULTI[m];
    if (entry[0] === cp) {
      let out = '';
      for (let i = 1; i < entry.length; i++) out += encodeUtf8(entry[i]);
      return out;
    }
  }
  // Binary search for the last run that starts at or before cp.
  let lo = 0;
  let hi = (LOWER_RUNS.length >>> 2) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const start = LOWER_RUNS[mid * 4];
    if (cp < start) {
      hi = mid - 1;
    } else if (cp > LOWER_RUNS[mid * 4 + 1]) {
      lo = mid + 1;
    } else {
      const step = LOWER_RUNS[mid * 4 + 2];
      return encodeUtf8((cp - start) % step === 0 ? cp + LOWER_RUNS[mid * 4 + 3] : cp);
    }
  }
  return encodeUtf8(cp);
}
