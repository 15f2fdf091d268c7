// JIDs, RFC 7622 https://www.rfc-editor.org/rfc/rfc7622 — only as far as
// routing needs: the bare JID, normalised so that every spelling of one
// account gives one key.
import { codePointAt, utf8Length } from './bytes';
import { lowerUtf8 } from './casemap';
import { DOMAIN_ASCII_BYTES, LOCALPART_ASCII_BYTES, RESOURCE_ASCII_BYTES, SkipClass } from './charclass';

/** RFC 7622 §3.1: each part is at most 1023 octets.
 * https://www.rfc-editor.org/rfc/rfc7622#section-3.1 */
export const MAX_PART_OCTETS = 1023;

/** Lowercasing shrinks a code point's UTF-8 at most threefold (U+212A KELVIN
 * SIGN, 3 bytes, lowers to 'k'): a part longer than this cannot come within
 * MAX_PART_OCTETS once mapped, and is refused before the (costly, per code
 * point) mapping. */
const MAX_MAPPED_FROM = 3 * MAX_PART_OCTETS;

export interface BareJid {
  /** Normalised localpart; '' when the JID has none. */
  local: string;
  /** Normalised domainpart. */
  domain: string;
}

/** Code points no JID part may hold: controls (Cc), and U+FFFD, which is
 * what a UTF-8 decoder leaves for bytes it could not read: refusing it keeps
 * a mangled JID from becoming a key. */
function isForbiddenAnywhere(cp: number): boolean {
  return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0xfffd;
}

/** Separators and spaces (Zs, Zl, Zp): disallowed by the PRECIS
 * IdentifierClass (RFC 8264 §4.2 https://www.rfc-editor.org/rfc/rfc8264#section-4.2)
 * that the localpart uses, and by IDNA2008 in the domainpart. */
function isSpaceSeparator(cp: number): boolean {
  return cp === 0x20 || cp === 0xa0 || cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
    cp === 0x2028 || cp === 0x2029 || cp === 0x202f || cp === 0x205f || cp === 0x3000;
}

/** RFC 7622 §3.3.1: the localpart may not hold " & ' / : < > @.
 * https://www.rfc-editor.org/rfc/rfc7622#section-3.3.1 */
function isExcludedFromLocalpart(cp: number): boolean {
  return cp === 0x22 || cp === 0x26 || cp === 0x27 || cp === 0x2f || cp === 0x3a ||
    cp === 0x3c || cp === 0x3e || cp === 0x40;
}

/**
 * Maps every code point of `part` to lowercase (RFC 8265 §3.3.2 rule 3
 * https://www.rfc-editor.org/rfc/rfc8265#section-3.3.2). Undefined when the bytes
 * are not UTF-8 or hold a code point `allowed` refuses.
 */
function lowerPartWith(part: string, allowed: (cp: number) => boolean): string | undefined {
  let out = '';
  let i = 0;
  while (i < part.length) {
    const cp = codePointAt(part, i);
    if (cp < 0 || isForbiddenAnywhere(cp) || isSpaceSeparator(cp) || !allowed(cp)) return undefined;
    out += lowerUtf8(cp);
    i += utf8Length(cp);
  }
  return out;
}

function localpartAllows(cp: number): boolean {
  return !isExcludedFromLocalpart(cp);
}

/** In ASCII a domain label is letters, digits and '-' (RFC 5890 §2.3.1
 * https://www.rfc-editor.org/rfc/rfc5890#section-2.3.1); other code points are
 * U-label characters, left to the servers to judge. */
function domainAllows(cp: number): boolean {
  return cp >= 0x80 || (cp >= 0x61 && cp <= 0x7a) || (cp >= 0x41 && cp <= 0x5a) ||
    (cp >= 0x30 && cp <= 0x39) || cp === 0x2d || cp === 0x2e;
}

/** Which part a platform's mapping (LowerPart) reads: the code points each
 * refuses differ only in ASCII (localpartAllows, domainAllows). */
export const LOCALPART = 0;
export const DOMAINPART = 1;

/** A part (not all ASCII) case-mapped code point by code point, or undefined
 * when it is not UTF-8 or holds a code point the part may not hold: what
 * lowerPart gives, found the platform's native way (core/js/casemap.ts,
 * core/lua/casemap.ts): in njs a loop here costs about 32k instructions a
 * code point. */
export type LowerPart = (this: void, part: string, kind: number) => string | undefined;

/** The portable mapping, which the platforms' are held to (test/casemap.test.mjs). */
export function lowerPart(this: void, part: string, kind: number): string | undefined {
  return lowerPartWith(part, kind === LOCALPART ? localpartAllows : domainAllows);
}

/** What the full reader takes from the platform: its runs of bytes, its
 * mapping of non-ASCII parts (lowerPart when it has none), and its check of
 * non-ASCII attribute text (xml.ts's isXmlText when it has none). A Recogniser
 * is one (core/router.ts). */
export interface ReaderNatives {
  skipClass: SkipClass;
  lowerPart?: LowerPart;
  isXmlText?: (this: void, raw: string) => boolean;
  /** A run of plain attributes read in one native step (header.ts). */
  attributeRun?: AttributeRun;
}

/** Up to some attributes at `pos` of `buf` in one native match: its text at
 * 0, then each attribute's name and quoted value; null when none is plain
 * (core/js/attributes.ts says which are). The full reader reads the same
 * attributes itself without it. */
export type AttributeRun = (this: void, buf: string, pos: number) => (string | undefined)[] | null;

/** An IP-literal domainpart: "[" IPv6address "]" (RFC 7622 §3.2, RFC 3986 §3.2.2
 * https://www.rfc-editor.org/rfc/rfc3986#section-3.2.2), checked for its
 * characters; lowercased. */
function ipLiteral(part: string): string | undefined {
  if (part.length < 3 || part.charCodeAt(part.length - 1) !== 0x5d) return undefined;
  for (let i = 1; i < part.length - 1; i++) {
    const b = part.charCodeAt(i);
    const ok = (b >= 0x30 && b <= 0x39) || (b >= 0x61 && b <= 0x66) || (b >= 0x41 && b <= 0x46) ||
      b === 0x3a || b === 0x2e;
    if (!ok) return undefined;
  }
  return part.toLowerCase();
}

/**
 * The domainpart, normalised: one trailing dot removed and lowercased
 * (RFC 7622 §3.2 https://www.rfc-editor.org/rfc/rfc7622#section-3.2).
 * Undefined when it is empty, has an empty label, or is too long.
 */
export function normaliseDomain(part: string, skip: SkipClass, lower?: LowerPart): string | undefined {
  if (part.length > MAX_MAPPED_FROM + 1) return undefined; // + a trailing dot
  let domain = part;
  if (domain.charCodeAt(domain.length - 1) === 0x2e) domain = domain.substring(0, domain.length - 1);
  if (domain.length === 0) return undefined;
  let lowered: string | undefined;
  if (domain.charCodeAt(0) === 0x5b) lowered = ipLiteral(domain);
  else if (skip(domain, 0, DOMAIN_ASCII_BYTES) === domain.length) lowered = domain.toLowerCase(); // ASCII: the common case
  else lowered = (lower === undefined ? lowerPart : lower)(domain, DOMAINPART);
  if (lowered === undefined || lowered.length > MAX_PART_OCTETS) return undefined;
  if (lowered.charCodeAt(0) === 0x2e || lowered.indexOf('..') >= 0 ||
      lowered.charCodeAt(lowered.length - 1) === 0x2e) return undefined;
  return lowered;
}

/** The localpart, case-mapped and checked (RFC 7622 §3.3
 * https://www.rfc-editor.org/rfc/rfc7622#section-3.3): 1 to 1023 octets. */
export function normaliseLocalpart(part: string, skip: SkipClass, lower?: LowerPart): string | undefined {
  if (part.length > MAX_MAPPED_FROM) return undefined;
  const lowered = skip(part, 0, LOCALPART_ASCII_BYTES) === part.length
    ? part.toLowerCase() // ASCII: the common case, and toLowerCase is ASCII-only in every build
    : (lower === undefined ? lowerPart : lower)(part, LOCALPART);
  if (lowered === undefined || lowered.length === 0 || lowered.length > MAX_PART_OCTETS) return undefined;
  return lowered;
}

/** The resourcepart only has to be there when a '/' announces it
 * (RFC 7622 §3.4 https://www.rfc-editor.org/rfc/rfc7622#section-3.4); it is not
 * part of the key, so it is checked, not kept. */
function resourceIsValid(part: string, skip: SkipClass): boolean {
  if (part.length === 0 || part.length > MAX_PART_OCTETS) return false;
  let i = skip(part, 0, RESOURCE_ASCII_BYTES);
  while (i < part.length) {
    const cp = codePointAt(part, i);
    if (cp < 0 || isForbiddenAnywhere(cp)) return false;
    i += utf8Length(cp);
  }
  return true;
}

/**
 * The bare JID of `jid` (a byte string), or undefined when it is not a valid
 * JID. RFC 7622 §3.1 https://www.rfc-editor.org/rfc/rfc7622#section-3.1: the
 * resourcepart starts at the first '/', then the localpart ends at the first
 * '@' before it. `skip` is the platform's native run finder (core/js/charclass.ts,
 * core/lua/charclass.ts), `lower` its mapping of non-ASCII parts (lowerPart when
 * there is none).
 */
export function parseBareJid(jid: string, skip: SkipClass, lower?: LowerPart): BareJid | undefined {
  let bare = jid;
  const slash = jid.indexOf('/');
  if (slash >= 0) {
    if (!resourceIsValid(jid.substring(slash + 1), skip)) return undefined;
    bare = jid.substring(0, slash);
  }
  const at = bare.indexOf('@');
  let local = '';
  if (at >= 0) {
    const mapped = normaliseLocalpart(bare.substring(0, at), skip, lower);
    if (mapped === undefined) return undefined;
    local = mapped;
  }
  const domain = normaliseDomain(bare.substring(at + 1), skip, lower);
  if (domain === undefined) return undefined;
  return { local, domain };
}

/** "local@domain", or "domain" for a JID without a localpart. */
export function bareJidString(jid: BareJid): string {
  return jid.local === '' ? jid.domain : jid.local + '@' + jid.domain;
}
