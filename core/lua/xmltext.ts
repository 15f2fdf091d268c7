// xml.ts's isXmlText for the Lua build (HAProxy): Lua's utf8.len and three
// string.find, each native, where the loop over code points runs Lua code for
// every one. core/js/xmltext.ts is the JavaScript one.

/** Control bytes XML refuses: all below 0x20 but tab, LF and CR. */
const CONTROLS = '[' + String.fromCharCode(0) + '-' + String.fromCharCode(8) + String.fromCharCode(0x0b) +
  String.fromCharCode(0x0c) + String.fromCharCode(0x0e) + '-' + String.fromCharCode(0x1f) + ']';
/** UTF-8 of a surrogate, U+D800 to U+DFFF (lua5.3's utf8.len takes them). */
const SURROGATE_LEAD = String.fromCharCode(0xed);
const SURROGATE = SURROGATE_LEAD + '[' + String.fromCharCode(0xa0) + '-' + String.fromCharCode(0xbf) + ']';
/** U+FFFE and U+FFFF, no XML Chars. */
const NONCHARACTER_LEAD = String.fromCharCode(0xef, 0xbf);
const NONCHARACTER = NONCHARACTER_LEAD + '[' + String.fromCharCode(0xbe, 0xbf) + ']';

/** Whole text of XML Chars as UTF-8 (RFC 3629 §4 https://www.rfc-editor.org/rfc/rfc3629#section-4,
 * XML 1.0 §2.2 https://www.w3.org/TR/xml/#charsets). utf8.len refuses
 * overlongs, bytes that start nothing and sequences cut short, and (lua5.3
 * and lua5.4 alike) code points above U+10FFFF. */
export function isXmlTextLua(this: void, raw: string): boolean {
  // A pattern costs some hundred instructions a byte, a plain search a few:
  // the patterns only where a plain search finds their first byte.
  if (string.find(raw, CONTROLS, 1) !== undefined || utf8.len(raw) === undefined) return false;
  if (string.find(raw, SURROGATE_LEAD, 1, true) !== undefined && string.find(raw, SURROGATE, 1) !== undefined) return false;
  return string.find(raw, NONCHARACTER_LEAD, 1, true) === undefined || string.find(raw, NONCHARACTER, 1) === undefined;
}
