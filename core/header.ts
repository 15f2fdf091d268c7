// Reads the opening <stream:stream ...> tag of an XMPP stream, incrementally.
// RFC 6120 §4.2 https://www.rfc-editor.org/rfc/rfc6120#section-4.2 (opening a
// stream) and §4.7 https://www.rfc-editor.org/rfc/rfc6120#section-4.7 (its
// attributes), read as XML 1.0 with namespaces.
//
// The proxies hand over the whole buffer read so far on every call, and a
// client may send its header a byte at a time: the scan keeps its place in
// `HeaderScan` and reads each byte once, so a header costs time linear in its
// length however it is split.
import { attributeValue, isNameStart, isSpace, isXmlText } from './xml';
import { NAME_BYTES, PLAIN_TEXT_BYTES, SPACE_BYTES, SkipClass } from './charclass';
import type { AttributeRun, LowerPart, ReaderNatives } from './jid';

/** The scan is not finished: more bytes are needed. */
export const MORE = 0;
/** A whole start tag was read. */
export const HEADER = 1;
/** Not an XML document: the first bytes are something else (HTTP, TLS, ...). */
export const NOT_XML = 2;
/** XML that XMPP forbids: a DTD, comment or processing instruction
 * (RFC 6120 §11.1 https://www.rfc-editor.org/rfc/rfc6120#section-11.1), or an
 * entity other than the predefined ones. */
export const RESTRICTED_XML = 3;
/** Not well-formed XML. */
export const MALFORMED = 4;
/** No end of the start tag within the header limit. */
export const TOO_LONG = 5;

const STEP_START = 0;
const STEP_DECL = 1;
const STEP_DECL_BODY = 2;
const STEP_MISC = 3;
const STEP_ELEMENT_NAME = 4;
const STEP_ATTR_GAP = 5;
const STEP_ATTR_NAME = 6;
const STEP_EQUALS = 7;
const STEP_QUOTE = 8;
const STEP_VALUE = 9;
const STEP_EMPTY_END = 10;
const STEP_DONE = 11;

const XML_DECL = '<?xml';

export interface HeaderScan {
  /** Largest number of bytes the header may take, declaration included. */
  limit: number;
  /** The platform's native way to pass over a run of bytes of one class. */
  skip: SkipClass;
  /** The platform's mapping of a non-ASCII JID part (jid.ts), if it has one. */
  lower: LowerPart | undefined;
  /** The platform's xml.ts isXmlText, if it has one. */
  xmlText: ((this: void, raw: string) => boolean) | undefined;
  /** The platform's run of plain attributes (jid.ts), if it has one. */
  run: AttributeRun | undefined;
  step: number;
  /** Next byte to read. */
  pos: number;
  /** Where the token being read began. */
  mark: number;
  /** White space was seen since the last attribute (XML requires it). */
  spaced: boolean;
  quote: string;
  attrName: string;
  /** Qualified name of the element. */
  element: string;
  /** Attribute values by name, each name behind a '=' so that no name can
   * collide with an object's own properties. */
  attrs: Record<string, string>;
  /** Attribute names in the order read. */
  names: string[];
  outcome: number;
  /** Bytes up to the end of the start tag, once it is read. */
  end: number;
}

/** `natives`: the platform's (a Recogniser is one): one argument, as build.mjs
 * forwards newHeaderScan's two. */
export function newHeaderScan(limit: number, natives: ReaderNatives): HeaderScan {
  return {
    limit, skip: natives.skipClass, lower: natives.lowerPart, xmlText: natives.isXmlText, run: natives.attributeRun,
    step: STEP_START, pos: 0, mark: 0, spaced: false, quote: '', attrName: '',
    element: '', attrs: {}, names: [], outcome: MORE, end: 0,
  };
}

/** xml.ts's isXmlText, the platform's way when it has one: a loop over the
 * code points costs about 9k instructions each in njs. */
function xmlText(scan: HeaderScan, raw: string): boolean {
  return scan.xmlText === undefined ? isXmlText(raw) : scan.xmlText(raw);
}

/** The value of attribute `name` (decoded), or undefined. */
export function attribute(scan: HeaderScan, name: string): string | undefined {
  return scan.attrs['=' + name];
}

/** Ends the scan with `outcome` (HEADER or a failure). */
function endScan(scan: HeaderScan, outcome: number): number {
  scan.outcome = outcome;
  scan.step = STEP_DONE;
  return outcome;
}

/** Reads `name` Eq quoted-value at `at` in a declaration body; returns the
 * value and where it ends, or undefined. */
function pseudoAttribute(body: string, at: number, name: string): { value: string; end: number } | undefined {
  if (body.substring(at, at + name.length) !== name) return undefined;
  let i = at + name.length;
  while (i < body.length && isSpace(body.charCodeAt(i))) i++;
  if (body.charCodeAt(i) !== 0x3d) return undefined; // '='
  i++;
  while (i < body.length && isSpace(body.charCodeAt(i))) i++;
  const quote = body.charAt(i);
  if (quote !== '"' && quote !== "'") return undefined;
  const close = body.indexOf(quote, i + 1);
  if (close < 0) return undefined;
  return { value: body.substring(i + 1, close), end: close + 1 };
}

/**
 * XMLDecl after '<?xml' S, up to '?>': version, then optionally encoding,
 * then optionally standalone, in that order (https://www.w3.org/TR/xml/#NT-XMLDecl).
 * The encoding must be UTF-8 for XMPP (RFC 6120 §11.6
 * https://www.rfc-editor.org/rfc/rfc6120#section-11.6).
 */
function declarationIsValid(body: string): boolean {
  const version = pseudoAttribute(body, 0, 'version');
  if (version === undefined || version.value.substring(0, 2) !== '1.' || version.value.length < 3) return false;
  let at = version.end;
  const names = ['encoding', 'standalone'];
  for (let n = 0; n < names.length; n++) {
    let i = at;
    while (i < body.length && isSpace(body.charCodeAt(i))) i++;
    if (i === at) break; // pseudo-attributes are separated by white space
    const found = pseudoAttribute(body, i, names[n]);
    if (found === undefined) continue;
    const value = found.value.toLowerCase();
    if (n === 0 && value !== 'utf-8' && value !== 'utf8') return false;
    if (n === 1 && found.value !== 'yes' && found.value !== 'no') return false;
    at = found.end;
  }
  while (at < body.length && isSpace(body.charCodeAt(at))) at++;
  return at === body.length;
}

/**
 * Namespaces in XML 1.0 (https://www.w3.org/TR/xml-names/): every prefix of an
 * attribute is declared in the tag (the stream element is the root, nothing
 * outer is in scope), no prefix is declared empty, and no two attributes share
 * an expanded name (§6.3).
 */
function namespacesAreWellFormed(scan: HeaderScan): boolean {
  const expanded: Record<string, boolean> = {};
  for (let n = 0; n < scan.names.length; n++) {
    const name = scan.names[n];
    const colon = name.indexOf(':');
    if (colon < 0) continue;
    const prefix = name.substring(0, colon);
    const local = name.substring(colon + 1);
    if (prefix === '' || local === '' || local.indexOf(':') >= 0) return false;
    if (prefix === 'xmlns') {
      if (scan.attrs['=' + name] === '') return false;
      continue;
    }
    const ns = prefix === 'xml' ? 'http://www.w3.org/XML/1998/namespace' : scan.attrs['=xmlns:' + prefix];
    if (ns === undefined) return false;
    const key = ns + ' ' + local;
    if (expanded[key]) return false;
    expanded[key] = true;
  }
  return true;
}

/** Records an attribute; false when the tag has it already
 * (https://www.w3.org/TR/xml/#uniqattspec). */
function addAttribute(scan: HeaderScan, name: string, value: string): boolean {
  const key = '=' + name;
  if (scan.attrs[key] !== undefined) return false;
  scan.attrs[key] = value;
  scan.names.push(name);
  return true;
}

/** The start tag is complete (`pos` is just past its '>'): the outcome,
 * once namespaces are checked. */
function finishTag(scan: HeaderScan, pos: number): number {
  scan.end = pos;
  scan.pos = pos;
  return endScan(scan, namespacesAreWellFormed(scan) ? HEADER : MALFORMED);
}

/**
 * Reads on from where the last call stopped. `buf` is everything the client
 * has sent so far (a byte string); each call must pass the previous `buf`
 * extended, never changed. Returns MORE, HEADER or one of the failures, and
 * keeps returning it once decided.
 */
export function scanHeader(scan: HeaderScan, whole: string): number {
  if (scan.step === STEP_DONE) return scan.outcome;
  // Bytes beyond the limit are never read: a header that needs them is too long.
  const buf = whole.length > scan.limit ? whole.substring(0, scan.limit) : whole;
  const len = buf.length;
  let pos = scan.pos;
  let step = scan.step;
  while (true) {
    if (step === STEP_START) {
      // An optional UTF-8 byte order mark (https://www.w3.org/TR/xml/#sec-guessing).
      if (len === 0) break;
      if (buf.charCodeAt(0) === 0xef) {
        const n = len < 3 ? len : 3;
        for (let i = 1; i < n; i++) {
          if (buf.charCodeAt(i) !== (i === 1 ? 0xbb : 0xbf)) return endScan(scan, NOT_XML);
        }
        if (len < 3) break;
        pos = 3;
      }
      step = STEP_DECL;
    } else if (step === STEP_DECL) {
      // XMLDecl, only at the very start: '<?xml' S ... '?>'
      let matched = 0;
      while (matched < 6 && pos + matched < len) {
        const b = buf.charCodeAt(pos + matched);
        if (matched < 5 ? b !== XML_DECL.charCodeAt(matched) : !isSpace(b)) break;
        matched++;
      }
      if (matched === 6) {
        pos += 6;
        scan.mark = pos;
        step = STEP_DECL_BODY;
      } else if (pos + matched < len) {
        step = STEP_MISC; // not a declaration; the element (or junk) follows
      } else {
        break; // could still become a declaration
      }
    } else if (step === STEP_DECL_BODY) {
      const close = buf.indexOf('?>', pos);
      const angle = buf.indexOf('<', pos);
      if (angle >= 0 && (close < 0 || angle < close)) return endScan(scan, MALFORMED);
      if (close < 0) {
        pos = len > pos + 1 ? len - 1 : pos; // a '?' at the end may be followed by '>'
        break;
      }
      if (!declarationIsValid(buf.substring(scan.mark, close))) return endScan(scan, MALFORMED);
      pos = close + 2;
      step = STEP_MISC;
    } else if (step === STEP_MISC) {
      // Misc*: white space before the element. Comments and PIs are restricted.
      pos = scan.skip(buf, pos, SPACE_BYTES);
      if (pos >= len) break;
      if (buf.charCodeAt(pos) !== 0x3c) return endScan(scan, NOT_XML); // '<'
      if (pos + 1 >= len) break;
      const next = buf.charCodeAt(pos + 1);
      if (next === 0x21 || next === 0x3f) return endScan(scan, RESTRICTED_XML); // '<!', '<?'
      if (!isNameStart(next)) return endScan(scan, MALFORMED);
      pos += 1;
      scan.mark = pos;
      step = STEP_ELEMENT_NAME;
    } else if (step === STEP_ELEMENT_NAME || step === STEP_ATTR_NAME) {
      pos = scan.skip(buf, pos, NAME_BYTES);
      if (pos >= len) break;
      const name = buf.substring(scan.mark, pos);
      // Bytes >= 0x80 must be UTF-8 (checked only where there are any).
      if (scan.skip(name, 0, PLAIN_TEXT_BYTES) < name.length && !xmlText(scan, name)) return endScan(scan, MALFORMED);
      if (step === STEP_ELEMENT_NAME) {
        scan.element = name;
        scan.spaced = false;
        step = STEP_ATTR_GAP;
      } else {
        scan.attrName = name;
        step = STEP_EQUALS;
      }
    } else if (step === STEP_ATTR_GAP) {
      // Plain attributes, a run at a time, where the platform reads them
      // natively (jid.ts AttributeRun): what the steps below would record.
      if (scan.run !== undefined && !scan.spaced) {
        const run = scan.run(buf, pos);
        if (run !== null) {
          for (let k = 1; k + 1 < run.length; k += 2) {
            const name = run[k];
            const quoted = run[k + 1];
            if (name === undefined || quoted === undefined) break;
            if (!addAttribute(scan, name, quoted.substring(1, quoted.length - 1))) return endScan(scan, MALFORMED);
          }
          pos += (run[0] as string).length;
          continue;
        }
      }
      const afterSpace = scan.skip(buf, pos, SPACE_BYTES);
      if (afterSpace > pos) scan.spaced = true;
      pos = afterSpace;
      if (pos >= len) break;
      const b = buf.charCodeAt(pos);
      if (b === 0x3e) return finishTag(scan, pos + 1); // '>'
      if (b === 0x2f) { // '/': an empty element, "<stream:stream/>"
        pos++;
        step = STEP_EMPTY_END;
      } else if (isNameStart(b) && scan.spaced) {
        scan.mark = pos;
        step = STEP_ATTR_NAME;
      } else {
        return endScan(scan, MALFORMED);
      }
    } else if (step === STEP_EMPTY_END) {
      if (pos >= len) break;
      if (buf.charCodeAt(pos) !== 0x3e) return endScan(scan, MALFORMED);
      return finishTag(scan, pos + 1);
    } else if (step === STEP_EQUALS || step === STEP_QUOTE) {
      // Eq ::= S? '=' S?, then the opening quote.
      pos = scan.skip(buf, pos, SPACE_BYTES);
      if (pos >= len) break;
      const b = buf.charCodeAt(pos);
      if (step === STEP_EQUALS) {
        if (b !== 0x3d) return endScan(scan, MALFORMED);
        step = STEP_QUOTE;
      } else {
        if (b !== 0x22 && b !== 0x27) return endScan(scan, MALFORMED);
        scan.quote = buf.charAt(pos);
        scan.mark = pos + 1;
        step = STEP_VALUE;
      }
      pos++;
    } else {
      // STEP_VALUE: AttValue. '>' may stand inside it; '<' may not.
      const close = buf.indexOf(scan.quote, pos);
      if (close < 0) {
        if (buf.indexOf('<', pos) >= 0) return endScan(scan, MALFORMED);
        pos = len;
        break;
      }
      const raw = buf.substring(scan.mark, close);
      let value: string | undefined = raw;
      // Most values are plain ASCII text that XML reads as it is.
      if (scan.skip(raw, 0, PLAIN_TEXT_BYTES) < raw.length) {
        if (raw.indexOf('<') >= 0 || !xmlText(scan, raw)) return endScan(scan, MALFORMED);
        value = attributeValue(raw);
        if (value === undefined) return endScan(scan, RESTRICTED_XML);
      }
      if (!addAttribute(scan, scan.attrName, value)) return endScan(scan, MALFORMED);
      pos = close + 1;
      scan.spaced = false;
      step = STEP_ATTR_GAP;
    }
  }
  scan.pos = pos;
  scan.step = step;
  if (len >= scan.limit) return endScan(scan, TOO_LONG);
  return MORE;
}
