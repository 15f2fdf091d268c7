// Runs of attributes for the JavaScript builds' full reader (core/header.ts,
// STEP_ATTR_GAP): up to 8 attributes of the plain kind in one native match,
// where the byte-by-byte steps take about 90k instructions an attribute in
// njs 0.7.9 (five runs found, a value searched, its text checked). A plain
// attribute here: white space, a name (its bytes as the steps read them),
// Eq, and a quoted value without '<', '&' or a control (so no character to
// normalise or decode: https://www.w3.org/TR/xml/#AVNormalize), non-ASCII
// allowed when the
// matched text is XML text (the check the steps make on such a name or value,
// made once for the run: white space, names, '=' and quotes are XML text
// themselves). Anything else is left to the steps, which read it as before:
// a run is taken whole or not at all, so the steps meet every attribute, and
// every fault, in the order they always did. The Lua build reads the same
// runs with its patterns (core/lua/attributes.ts); test/lua-parity.test.mjs
// and test/fuzz-core.test.mjs hold the builds to one answer.
//
// Eight: each adds two groups (about 350 instructions each in njs), a match
// costs about 10k.
//
// The expression is anchored and matches a piece cut from the buffer: njs
// checks a subject's UTF-8 from where a match starts to its end on every exec,
// and a global expression resuming at a string's end errs in njs 0.7.9 (see
// charclass.ts). A literal, evaluated in the call: a new object each time.
import { isXmlTextJs } from './xmltext';

/** How far one match looks. An attribute longer than this is left to the
 * steps, which read a long value with one search. */
const PIECE = 1024;

/** The match at `pos` (names in the odd groups, quoted values after each), or
 * null when no plain attribute starts there. */
export function attributeRunJs(this: void, buf: string, pos: number): (string | undefined)[] | null {
  const piece = buf.substring(pos, pos + PIECE);
  const m = /^[ \t\r\n]+([A-Za-z_:\x80-\xff][A-Za-z0-9._:\-\x80-\xff]*)[ \t\r\n]*=[ \t\r\n]*('[^'<&\x00-\x1f]*'|"[^"<&\x00-\x1f]*")(?:[ \t\r\n]+([A-Za-z_:\x80-\xff][A-Za-z0-9._:\-\x80-\xff]*)[ \t\r\n]*=[ \t\r\n]*('[^'<&\x00-\x1f]*'|"[^"<&\x00-\x1f]*")(?:[ \t\r\n]+([A-Za-z_:\x80-\xff][A-Za-z0-9._:\-\x80-\xff]*)[ \t\r\n]*=[ \t\r\n]*('[^'<&\x00-\x1f]*'|"[^"<&\x00-\x1f]*")(?:[ \t\r\n]+([A-Za-z_:\x80-\xff][A-Za-z0-9._:\-\x80-\xff]*)[ \t\r\n]*=[ \t\r\n]*('[^'<&\x00-\x1f]*'|"[^"<&\x00-\x1f]*")(?:[ \t\r\n]+([A-Za-z_:\x80-\xff][A-Za-z0-9._:\-\x80-\xff]*)[ \t\r\n]*=[ \t\r\n]*('[^'<&\x00-\x1f]*'|"[^"<&\x00-\x1f]*")(?:[ \t\r\n]+([A-Za-z_:\x80-\xff][A-Za-z0-9._:\-\x80-\xff]*)[ \t\r\n]*=[ \t\r\n]*('[^'<&\x00-\x1f]*'|"[^"<&\x00-\x1f]*")(?:[ \t\r\n]+([A-Za-z_:\x80-\xff][A-Za-z0-9._:\-\x80-\xff]*)[ \t\r\n]*=[ \t\r\n]*('[^'<&\x00-\x1f]*'|"[^"<&\x00-\x1f]*")(?:[ \t\r\n]+([A-Za-z_:\x80-\xff][A-Za-z0-9._:\-\x80-\xff]*)[ \t\r\n]*=[ \t\r\n]*('[^'<&\x00-\x1f]*'|"[^"<&\x00-\x1f]*"))?)?)?)?)?)?)?/.exec(piece);
  if (m === null) return null;
  if (/[\x80-\xff]/.test(m[0]) && !isXmlTextJs(m[0])) return null;
  return m;
}
