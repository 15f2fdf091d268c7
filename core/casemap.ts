// Unicode case mapping from the core's own table (core/casemap-table.ts), so
// that every build maps alike. RFC 8265 §3.3.2 rule 3 ("Case Mapping Rule")
// https://www.rfc-editor.org/rfc/rfc8265#section-3.3.2, used for the JID
// localpart by RFC 7622 §3.3.1 https://www.rfc-editor.org/rfc/rfc7622#section-3.3.1
import { LOWER_MULTI, LOWER_RUNS, MULTI_WIDTH, RUN_WIDTH } from './casemap-table';
import { encodeUtf8 } from './bytes';

function hexAt(table: string, at: number, width: number): number {
  return parseInt(table.substring(at, at + width), 16);
}

const HEX_DIGITS = '0123456789abcdef';

/** cp as the table writes it: 5 lowercase hex digits. */
function hex5(cp: number): string {
  return HEX_DIGITS.charAt((cp >>> 16) & 15) + HEX_DIGITS.charAt((cp >>> 12) & 15) +
    HEX_DIGITS.charAt((cp >>> 8) & 15) + HEX_DIGITS.charAt((cp >>> 4) & 15) + HEX_DIGITS.charAt(cp & 15);
}

/** The UTF-8 bytes of toLowerCase(cp). */
export function lowerUtf8(cp: number): string {
  if (cp < 0x80) {
    return String.fromCharCode(cp >= 0x41 && cp <= 0x5a ? cp + 32 : cp);
  }
  // The table holds 5 hex digits: nothing above U+FFFFF has a case (planes
  // 15 and 16 are private use; scripts/gen-casemap.mjs checks it).
  if (cp > 0xfffff) return encodeUtf8(cp);
  const key = hex5(cp);
  for (let m = 0; m < LOWER_MULTI.length; m += MULTI_WIDTH) {
    if (LOWER_MULTI.substring(m, m + 5) === key) {
      let out = '';
      const count = hexAt(LOWER_MULTI, m + 5, 1);
      for (let i = 0; i < count; i++) out += encodeUtf8(hexAt(LOWER_MULTI, m + 6 + 5 * i, 5));
      return out;
    }
  }
  // Binary search for the run that holds cp, if any. The table's numbers are
  // zero-padded lowercase hex, which sort as strings the way they sort as
  // numbers: comparing strings spares a parseInt at every step.
  let lo = 0;
  let hi = LOWER_RUNS.length / RUN_WIDTH - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = mid * RUN_WIDTH;
    if (key < LOWER_RUNS.substring(at, at + 5)) {
      hi = mid - 1;
    } else if (key > LOWER_RUNS.substring(at + 5, at + 10)) {
      lo = mid + 1;
    } else {
      if ((cp - hexAt(LOWER_RUNS, at, 5)) % hexAt(LOWER_RUNS, at + 10, 1) !== 0) return encodeUtf8(cp);
      const delta = hexAt(LOWER_RUNS, at + 12, 5);
      return encodeUtf8(LOWER_RUNS.charAt(at + 11) === '-' ? cp - delta : cp + delta);
    }
  }
  return encodeUtf8(cp);
}
