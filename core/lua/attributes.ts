// Runs of attributes for the Lua build's full reader (core/header.ts,
// STEP_ATTR_GAP), as core/js/attributes.ts reads them for the JavaScript
// builds and with the same answers: plain attributes (white space, a name,
// Eq, a quoted value without '<', '&' or a control), one string.match each,
// where the steps make about seven finds and subs an attribute. Non-ASCII
// text in a run is checked once, for the run (isXmlTextLua); anything else is
// left to the steps, and a run is taken whole or not at all.
// test/lua-parity.test.mjs and test/fuzz-core.test.mjs hold the builds to
// one answer.
import { isXmlTextLua } from './xmltext';

const HIGH = String.fromCharCode(0x80) + '-' + String.fromCharCode(0xff);
/** Bytes a plain value may not hold besides its quote: '<', '&', controls. */
const NOT_PLAIN = '<&' + String.fromCharCode(0) + '-' + String.fromCharCode(0x1f);
/** White space, a name, Eq: then the quoted value and the position after it.
 * One pattern per quote: Lua patterns have no alternatives. */
const HEAD = '^[ \t\r\n]+([A-Za-z_:' + HIGH + '][A-Za-z0-9._:%-' + HIGH + ']*)[ \t\r\n]*=[ \t\r\n]*';
const SINGLE = HEAD + "('[^'" + NOT_PLAIN + "]*')()";
const DOUBLE = HEAD + '("[^"' + NOT_PLAIN + ']*")()';
const HIGH_BYTE = '[' + HIGH + ']';

/** The most attributes one call reads, as in core/js/attributes.ts. */
const RUN = 8;

/** The run at `pos` (0-based): its text, then each attribute's name and
 * quoted value; null when no plain attribute starts there. */
export function attributeRunLua(this: void, buf: string, pos: number): (string | undefined)[] | null {
  const run: string[] = [''];
  let at = pos + 1;
  for (let n = 0; n < RUN; n++) {
    let [name, quoted, after] = string.match<[string | undefined, string, number]>(buf, SINGLE, at);
    if (name === undefined) [name, quoted, after] = string.match<[string | undefined, string, number]>(buf, DOUBLE, at);
    if (name === undefined) break;
    run[run.length] = name;
    run[run.length] = quoted;
    at = after;
  }
  if (run.length === 1) return null;
  run[0] = string.sub(buf, pos + 1, at - 1);
  if (string.find(run[0], HIGH_BYTE, 1) !== undefined && !isXmlTextLua(run[0])) return null;
  return run;
}
