// The few pieces of XML 1.0 (https://www.w3.org/TR/xml/) that reading a stream
// header needs. RFC 6120 §11.1 https://www.rfc-editor.org/rfc/rfc6120#section-11.1
// restricts XMPP to a subset: no comments, processing instructions, DTDs or
// entities other than the five predefined ones and character references.
import { codePointAt, encodeUtf8, utf8Length } from './bytes';

/** S ::= (#x20 | #x9 | #xD | #xA)+  https://www.w3.org/TR/xml/#NT-S */
export function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x09 || b === 0x0d;
}

/** NameStartChar, on bytes: ASCII letters, '_' and ':', and any non-ASCII byte
 * (the names jidroute compares are ASCII; others need only be skipped).
 * https://www.w3.org/TR/xml/#NT-NameStartChar */
export function isNameStart(b: number): boolean {
  return (b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || b === 0x5f || b === 0x3a || b >= 0x80;
}

/** Char: the code points XML allows at all. https://www.w3.org/TR/xml/#NT-Char */
export function isXmlChar(cp: number): boolean {
  return cp === 0x9 || cp === 0xa || cp === 0xd || (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) || (cp >= 0x10000 && cp <= 0x10ffff);
}

function predefinedEntity(name: string): string | undefined {
  // https://www.w3.org/TR/xml/#sec-predefined-ent
  if (name === 'lt') return '<';
  if (name === 'gt') return '>';
  if (name === 'amp') return '&';
  if (name === 'apos') return "'";
  if (name === 'quot') return '"';
  return undefined;
}

function charReference(body: string): string | undefined {
  // CharRef ::= '&#' [0-9]+ ';' | '&#x' [0-9a-fA-F]+ ';'  https://www.w3.org/TR/xml/#NT-CharRef
  const hex = body.charCodeAt(1) === 0x78; // 'x'
  const first = hex ? 2 : 1;
  if (body.length <= first || body.length > first + 8) return undefined;
  let cp = 0;
  for (let i = first; i < body.length; i++) {
    const b = body.charCodeAt(i);
    let digit: number;
    if (b >= 0x30 && b <= 0x39) digit = b - 0x30;
    else if (hex && b >= 0x61 && b <= 0x66) digit = b - 0x57;
    else if (hex && b >= 0x41 && b <= 0x46) digit = b - 0x37;
    else return undefined;
    cp = cp * (hex ? 16 : 10) + digit;
  }
  return isXmlChar(cp) ? encodeUtf8(cp) : undefined;
}

/** The value of an attribute as XML reads it: references replaced, and
 * white space normalised (https://www.w3.org/TR/xml/#AVNormalize, after the
 * end-of-line handling of §2.11). Undefined when the value is not well-formed
 * or names an entity XMPP does not allow. */
export function attributeValue(raw: string): string | undefined {
  let value = raw;
  if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0 || value.indexOf('\t') >= 0) {
    value = value.split('\r\n').join(' ').split('\r').join(' ').split('\n').join(' ').split('\t').join(' ');
  }
  let amp = value.indexOf('&');
  if (amp < 0) return value;
  let out = '';
  let from = 0;
  while (amp >= 0) {
    const semi = value.indexOf(';', amp);
    if (semi < 0) return undefined;
    const body = value.substring(amp + 1, semi);
    const text = body.charCodeAt(0) === 0x23 ? charReference(body) : predefinedEntity(body);
    if (text === undefined) return undefined;
    out += value.substring(from, amp) + text;
    from = semi + 1;
    amp = value.indexOf('&', from);
  }
  return out + value.substring(from);
}

/** True when `raw` is UTF-8 text of XML Chars only (a document in another
 * encoding, or with control bytes, is not well-formed). ASCII printable bytes
 * are passed over without decoding. */
export function isXmlText(raw: string): boolean {
  let i = 0;
  while (i < raw.length) {
    const b = raw.charCodeAt(i);
    if (b >= 0x20 && b < 0x80) {
      i++;
    } else if (b < 0x80) {
      if (b !== 0x09 && b !== 0x0a && b !== 0x0d) return false;
      i++;
    } else {
      const cp = codePointAt(raw, i);
      if (cp < 0 || !isXmlChar(cp)) return false;
      i += utf8Length(cp);
    }
  }
  return true;
}
