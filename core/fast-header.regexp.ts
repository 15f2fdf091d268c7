// The shortcut of the JavaScript builds: in njs every bytecode step is
// interpreted, and reading a header byte by byte costs more than the rest of
// the connection; one native regular expression reads the common header
// whole. It reads only what it can read without doubt — printable ASCII
// values without references, quotes or '<', the element prefixed, '=' without
// white space, at most an XML declaration with version and a UTF-8 encoding
// before it — and hands the attributes to the same code the full reader uses
// (addAttribute, finishTag: duplicates and namespaces); everything else is
// left to scanHeader. test/fast-header.test.mjs holds both readers to the
// same answers.
import { HeaderScan, MALFORMED, MORE, addAttribute, fail, finishTag } from './header';

// Group 1: the element's prefix; group 2: its attributes.
// A literal, not new RegExp(...): njs 0.7.9 builds a RegExp made by the
// constructor again in every connection's copy of the module (about 170k
// instructions a connection in nginx, callgrind); a literal's compiled
// pattern is shared.
const SIMPLE_HEADER =
  /^(?:<\?xml version=(?:'1\.0'|"1\.0")(?: encoding=(?:'(?:UTF|utf)-8'|"(?:UTF|utf)-8"))?\?>)?<([A-Za-z_][A-Za-z0-9_.-]*):stream((?:[ \t\r\n]+[A-Za-z_][A-Za-z0-9_.:-]*=(?:'[ !#-%(-;=-~]*'|"[ !#-%(-;=-~]*"))*)[ \t\r\n]*>/;

export function readWholeHeader(scan: HeaderScan, bytes: string): number {
  const found = SIMPLE_HEADER.exec(bytes);
  if (found === null || found[0].length > scan.limit) return MORE;
  // ` from='a' to="b"` split at its quotes: ' from=', 'a', ' to=', 'b', ''
  // (values hold no quote of either kind). Splitting at a string: njs 0.7.9
  // takes about a millisecond to split at a RegExp, microseconds at a string.
  const parts = found[2].split('"').join("'").split("'");
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const nameAndEquals = parts[i].trim();
    if (!addAttribute(scan, nameAndEquals.substring(0, nameAndEquals.length - 1), parts[i + 1])) {
      return fail(scan, MALFORMED);
    }
  }
  scan.element = found[1] + ':stream';
  return finishTag(scan, found[0].length);
}
