// xml.ts's isXmlText for the JavaScript builds (njs, and Node in the tests):
// one native RegExp test where the loop over code points costs about 9k
// instructions each in njs 0.7.9. core/lua/xmltext.ts is the Lua one.

/** Whole text of XML Chars as UTF-8 (RFC 3629 §4: no overlongs, no
 * surrogates, none above U+10FFFF; XML 1.0 §2.2 Char: tab, LF, CR, U+0020 on,
 * not U+FFFE or U+FFFF) https://www.w3.org/TR/xml/#charsets
 * https://www.rfc-editor.org/rfc/rfc3629#section-4 . One test over the whole
 * text: njs checks a subject's UTF-8 once a search (core/js/charclass.ts). */
export function isXmlTextJs(this: void, raw: string): boolean {
  return /^(?:[\t\n\r\x20-\x7f]|[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee][\x80-\xbf][\x80-\xbf]|\xed[\x80-\x9f][\x80-\xbf]|\xef[\x80-\xbe][\x80-\xbf]|\xef\xbf[\x80-\xbd]|\xf0[\x90-\xbf][\x80-\xbf][\x80-\xbf]|[\xf1-\xf3][\x80-\xbf][\x80-\xbf][\x80-\xbf]|\xf4[\x80-\x8f][\x80-\xbf][\x80-\xbf])*$/.test(raw);
}
