// Reads a TLS ClientHello, incrementally, for Direct TLS passed through
// (XEP-0368 https://xmpp.org/extensions/xep-0368.html): the proxy does not
// terminate TLS, so the only name it can see is the server_name the client
// asks for, in the clear in its first flight.
//
// Framing: TLS records (RFC 8446 §5.1
// https://www.rfc-editor.org/rfc/rfc8446#section-5.1) carry the handshake
// message (§4 https://www.rfc-editor.org/rfc/rfc8446#section-4), which may be
// split across any number of records and the records across any number of
// reads. The message: ClientHello (§4.1.2
// https://www.rfc-editor.org/rfc/rfc8446#section-4.1.2; TLS 1.2's is the same
// shape, RFC 5246 §7.4.1.2 https://www.rfc-editor.org/rfc/rfc5246#section-7.4.1.2,
// where the extensions may be absent). Of the extensions only server_name
// (RFC 6066 §3 https://www.rfc-editor.org/rfc/rfc6066#section-3) and ALPN
// (RFC 7301 §3.1 https://www.rfc-editor.org/rfc/rfc7301#section-3.1) matter:
// the name is the tenant, `xmpp-client` / `xmpp-server` (XEP-0368 §3) say
// whether a client or a server is calling.
//
// Like header.ts, the adapters hand over everything received so far on every
// call; the scan keeps its place, so a hello fed byte by byte costs one step
// a call, and only whole records are copied. Nothing is read beyond the
// header limit: a hello that needs more bytes is too long.
import { BY_ADDR, POLICY_DOMAIN, Route, RouteBy, routeByAddress } from './key';
import { normaliseDomain } from './jid';
import type { LowerPart, ReaderNatives } from './jid';
import { SkipClass } from './charclass';

/** Not finished: more bytes are needed. */
export const HELLO_MORE = 0;
/** A whole ClientHello was read. */
export const HELLO_READ = 1;
/** Not a ClientHello in well-formed TLS records. */
export const HELLO_MALFORMED = 2;
/** The hello does not end within the header limit. */
export const HELLO_TOO_LONG = 3;

/** ContentType handshake (RFC 8446 §5.1). */
const RECORD_HANDSHAKE = 0x16;
/** HandshakeType client_hello (RFC 8446 §4). */
const CLIENT_HELLO = 1;
/** "The length MUST NOT exceed 2^14 bytes" (RFC 8446 §5.1). */
const MAX_FRAGMENT = 16384;
/** ExtensionType server_name (RFC 6066 §3) and
 * application_layer_protocol_negotiation (RFC 7301 §3.1). */
const EXT_SERVER_NAME = 0;
const EXT_ALPN = 16;
/** NameType host_name (RFC 6066 §3). */
const HOST_NAME = 0;

/** Who is calling, from ALPN (XEP-0368 §3): a client (`xmpp-client`, or no
 * ALPN at all: XEP-0368 clients before ALPN), a server (`xmpp-server`), or
 * something else (ALPN that offers neither, such as a browser's h2). */
export const CALLER_CLIENT = 0;
export const CALLER_SERVER = 1;
export const CALLER_OTHER = 2;

export const BY_SNI: RouteBy = 'sni';

export interface HelloScan {
  limit: number;
  /** The platform's runs of bytes (charclass.ts), for the name's domain check. */
  skip: SkipClass;
  /** The platform's mapping of a non-ASCII name (jid.ts), if it has one. */
  lower: LowerPart | undefined;
  outcome: number;
  /** Where the current record ends (the next record header starts). */
  recordEnd: number;
  /** Where the current record's fragment starts. */
  fragmentStart: number;
  /** Handshake bytes of the records before the current one. */
  held: string;
  /** Length of the handshake message, once its header is in; -1 before. */
  messageLength: number;
  /** The server_name, normalised as a domainpart; '' when there is none,
   * several, or one that is no domain. */
  name: string;
  caller: number;
}

export function newHelloScan(limit: number, natives: ReaderNatives): HelloScan {
  return {
    limit, skip: natives.skipClass, lower: natives.lowerPart, outcome: HELLO_MORE, recordEnd: 0, fragmentStart: 0, held: '', messageLength: -1,
    name: '', caller: CALLER_CLIENT,
  };
}

/** Whether these first bytes are a TLS handshake record: then they are read
 * as a ClientHello, and as nothing else. (An XML stream starts with '<', a
 * byte order mark or white space, never with 0x16.) */
export function startsTlsRecord(bytes: string): boolean {
  return bytes.charCodeAt(0) === RECORD_HANDSHAKE;
}

function uint16(s: string, at: number): number {
  return s.charCodeAt(at) * 256 + s.charCodeAt(at + 1);
}

function finish(h: HelloScan, outcome: number): number {
  h.outcome = outcome;
  return outcome;
}

/**
 * Reads on from where the last call stopped; `whole` is everything received
 * so far (a byte string), each call the previous one extended. Returns
 * HELLO_MORE until the hello is read or refused, then keeps returning that.
 */
export function scanHello(h: HelloScan, whole: string): number {
  if (h.outcome !== HELLO_MORE) return h.outcome;
  const buf = whole.length > h.limit ? whole.substring(0, h.limit) : whole;
  const len = buf.length;
  while (true) {
    // Handshake bytes at hand: the earlier records', and what came of this one.
    const recordIn = len < h.recordEnd ? len : h.recordEnd;
    const have = h.held.length + (recordIn - h.fragmentStart);
    if (h.messageLength < 0 && have >= 4) {
      const head = (h.held + buf.substring(h.fragmentStart, h.fragmentStart + 4)).substring(0, 4);
      if (head.charCodeAt(0) !== CLIENT_HELLO) return finish(h, HELLO_MALFORMED);
      h.messageLength = head.charCodeAt(1) * 65536 + uint16(head, 2);
      // A record header before it and the message itself: more than the limit allows.
      if (5 + 4 + h.messageLength > h.limit) return finish(h, HELLO_TOO_LONG);
    }
    if (h.messageLength >= 0 && have >= 4 + h.messageLength) {
      const fromRecord = 4 + h.messageLength - h.held.length;
      const message = h.held + buf.substring(h.fragmentStart, h.fragmentStart + fromRecord);
      return finish(h, readClientHello(h, message.substring(4)) ? HELLO_READ : HELLO_MALFORMED);
    }
    if (len < h.recordEnd || len < h.recordEnd + 5) break; // the rest of this record, or the next header
    // This record is all here and the message goes on: the next record.
    h.held += buf.substring(h.fragmentStart, h.recordEnd);
    const at = h.recordEnd;
    const length = uint16(buf, at + 3);
    // Handshake records only, until the hello ends (RFC 8446 §5.1: handshake
    // messages are not interleaved with other record types); version 3.x
    // (0x0301 in a first ClientHello, 0x0303 otherwise); no empty fragment
    // ("MUST NOT send zero-length fragments of Handshake types").
    if (buf.charCodeAt(at) !== RECORD_HANDSHAKE || buf.charCodeAt(at + 1) !== 3 ||
        length === 0 || length > MAX_FRAGMENT) return finish(h, HELLO_MALFORMED);
    h.fragmentStart = at + 5;
    h.recordEnd = at + 5 + length;
  }
  if (len >= h.limit) return finish(h, HELLO_TOO_LONG);
  return HELLO_MORE;
}

/**
 * The ClientHello body (after the 4-byte handshake header): legacy_version,
 * random, legacy_session_id<0..32>, cipher_suites<2..2^16-2>,
 * legacy_compression_methods<1..2^8-1>, then extensions<8..2^16-1> or (TLS 1.2
 * and earlier) nothing. Every length must fit exactly. Fills h.name and
 * h.caller; false when the message is malformed.
 */
function readClientHello(h: HelloScan, m: string): boolean {
  if (m.length < 2 + 32 + 1 || m.charCodeAt(0) !== 3) return false;
  let at = 2 + 32;
  const sessionId = m.charCodeAt(at);
  if (sessionId > 32) return false;
  at += 1 + sessionId;
  if (at + 2 > m.length) return false;
  const suites = uint16(m, at);
  if (suites < 2 || suites % 2 !== 0) return false;
  at += 2 + suites;
  if (at + 1 > m.length) return false;
  const compression = m.charCodeAt(at);
  if (compression < 1) return false;
  at += 1 + compression;
  if (at === m.length) return true; // no extensions: no name, no ALPN
  if (at + 2 > m.length || at + 2 + uint16(m, at) !== m.length) return false;
  return readExtensions(h, m, at + 2);
}

/** Extension: extension_type, extension_data<0..2^16-1>, to the end of `m`.
 * "There MUST NOT be more than one extension of the same type in a given
 * extension block" (RFC 8446 §4.2 https://www.rfc-editor.org/rfc/rfc8446#section-4.2).
 * Types it does not know (GREASE, RFC 8701, among them) are skipped. */
function readExtensions(h: HelloScan, m: string, start: number): boolean {
  const seen: Record<string, boolean> = {};
  let at = start;
  let names = 0;
  let name = '';
  let alpn = false;
  let client = false;
  let server = false;
  while (at < m.length) {
    if (at + 4 > m.length) return false;
    const type = uint16(m, at);
    const length = uint16(m, at + 2);
    const data = at + 4;
    const end = data + length;
    if (end > m.length) return false;
    const key = '=' + type;
    if (seen[key]) return false;
    seen[key] = true;
    if (type === EXT_SERVER_NAME) {
      // ServerNameList server_name_list<1..2^16-1>; ServerName: name_type,
      // HostName<1..2^16-1>. "MUST NOT contain more than one name of the same
      // name_type": several names are refused for routing, not guessed at.
      if (length < 2 || data + 2 + uint16(m, data) !== end) return false;
      let i = data + 2;
      if (i === end) return false;
      while (i < end) {
        if (i + 3 > end) return false;
        const nameLength = uint16(m, i + 1);
        if (nameLength < 1 || i + 3 + nameLength > end) return false;
        names++;
        if (m.charCodeAt(i) === HOST_NAME) name = m.substring(i + 3, i + 3 + nameLength);
        i += 3 + nameLength;
      }
    } else if (type === EXT_ALPN) {
      // ProtocolNameList protocol_name_list<2..2^16-1>; ProtocolName<1..2^8-1>.
      if (length < 2 || data + 2 + uint16(m, data) !== end || data + 2 === end) return false;
      alpn = true;
      let i = data + 2;
      while (i < end) {
        const protocolLength = m.charCodeAt(i);
        if (protocolLength < 1 || i + 1 + protocolLength > end) return false;
        const protocol = m.substring(i + 1, i + 1 + protocolLength);
        if (protocol === 'xmpp-client') client = true;
        else if (protocol === 'xmpp-server') server = true;
        i += 1 + protocolLength;
      }
    }
    at = end;
  }
  // The host name is normalised as `to`'s domainpart is (core/jid.ts). RFC
  // 6066 has it ASCII without a trailing dot; one that is no domain (an
  // '@', a '/', an empty label) counts as absent.
  const domain = names === 1 && name !== '' ? normaliseDomain(name, h.skip, h.lower) : undefined;
  h.name = domain === undefined ? '' : domain;
  h.caller = client || !alpn ? CALLER_CLIENT : server ? CALLER_SERVER : CALLER_OTHER;
  return true;
}

/**
 * The route for a hello. A server's hello is keyed on its name under both
 * policies, as an s2s stream is keyed on `to`; a client's only under the
 * domain policy (the name is the tenant, not the account). Without a usable
 * name, or when it is not an XMPP hello, by address; `to` reports the name.
 */
export function routeHello(h: HelloScan, policy: string, address: string): Route {
  if (h.outcome === HELLO_MALFORMED) return routeByAddress(address, 'not-xml');
  if (h.outcome === HELLO_TOO_LONG) return routeByAddress(address, 'too-long');
  if (h.outcome !== HELLO_READ) return routeByAddress(address, 'incomplete');
  if (h.caller === CALLER_OTHER) return { key: address, routeBy: BY_ADDR, from: '', to: h.name, stream: 'not-xml' };
  const server = h.caller === CALLER_SERVER;
  const keyed = h.name !== '' && (server || policy === POLICY_DOMAIN);
  return {
    key: keyed ? h.name : address,
    routeBy: keyed ? BY_SNI : BY_ADDR,
    from: '',
    to: h.name,
    stream: server ? 'tls-server' : 'tls-client',
  };
}
