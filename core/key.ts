// From a stream header to the key the proxy hashes on.
import { HEADER, HeaderScan, MALFORMED, NOT_XML, RESTRICTED_XML, TOO_LONG, attribute } from './header';
import { BareJid, bareJidString, parseBareJid } from './jid';

/** RFC 6120 §4.8.1 https://www.rfc-editor.org/rfc/rfc6120#section-4.8.1 */
export const STREAMS_NS = 'http://etherx.jabber.org/streams';

/** The content namespaces (RFC 6120 §4.8.2, XEP-0114 §3). */
export const CLIENT_NS = 'jabber:client';
export const SERVER_NS = 'jabber:server';
export const COMPONENT_NS = 'jabber:component:accept';

export const POLICY_BARE = 'bare';
export const POLICY_DOMAIN = 'domain';

export const BY_FROM = 'from';
export const BY_TO = 'to';
export const BY_ADDR = 'addr';

export interface Route {
  /** What the proxy hashes on (a byte string: UTF-8). */
  key: string;
  /** 'from', 'to', 'sni' (a TLS ClientHello's server_name, tls-hello.ts)
   * or 'addr': what gave the key. */
  routeBy: string;
  /** Normalised bare JID from the 'from' attribute, or ''. */
  from: string;
  /** Normalised domain from the 'to' attribute (or a ClientHello's
   * server_name), or ''. */
  to: string;
  /** What the bytes were: 'client', 'server' or 'component' (a stream of
   * that kind), 'tls-client' or 'tls-server' (a TLS ClientHello, by its
   * ALPN), or why they were not read as one: 'not-xml', 'restricted-xml',
   * 'malformed', 'too-long', 'not-stream', 'unknown-namespace', 'incomplete'
   * (no whole header in time), 'error'. */
  stream: string;
}

export function routeByAddress(address: string, why: string): Route {
  return { key: address, routeBy: BY_ADDR, from: '', to: '', stream: why };
}

/** The namespace the element's prefix is bound to, in the tag itself (the
 * stream element is the root: no outer declarations are in scope).
 * https://www.w3.org/TR/xml-names/#ns-qualnames */
function elementNamespace(scan: HeaderScan): { local: string; ns: string | undefined } | undefined {
  const colon = scan.element.indexOf(':');
  if (colon < 0) return { local: scan.element, ns: attribute(scan, 'xmlns') };
  const prefix = scan.element.substring(0, colon);
  const local = scan.element.substring(colon + 1);
  if (prefix === '' || local === '' || local.indexOf(':') >= 0) return undefined;
  return { local, ns: attribute(scan, 'xmlns:' + prefix) };
}

/**
 * Whether a client's `from` names an account of the service it addresses, the
 * only `from` worth routing on. RFC 6120 §4.7.1
 * https://www.rfc-editor.org/rfc/rfc6120#section-4.7.1 : a client's `from` is
 * its bare JID, user@service; §4.7.2 https://www.rfc-editor.org/rfc/rfc6120#section-4.7.2 :
 * `to` is the service's domain. A `from` without a localpart (sendxmpp sends
 * the machine's host name) or in another domain is ignored: keying on it
 * would put unrelated accounts together. `to` undefined: the header has no
 * `to` attribute, and nothing contradicts the `from`; '' : `to` is there but
 * is no JID, so no `from` can be shown to belong to it.
 */
function isAccountOf(fromJid: BareJid, to: string | undefined): boolean {
  return fromJid.local !== '' && (to === undefined || fromJid.domain === to);
}

/**
 * The route for a finished header scan. RFC 6120 §4.7.1 (from) and §4.7.2 (to)
 * https://www.rfc-editor.org/rfc/rfc6120#section-4.7.1 : a client's `from` is
 * its JID (unauthenticated, chosen by the client); `to` is the service domain.
 */
export function routeHeader(scan: HeaderScan, policy: string, address: string): Route {
  if (scan.outcome !== HEADER) return routeByAddress(address, outcomeName(scan.outcome));
  const name = elementNamespace(scan);
  if (name === undefined) return routeByAddress(address, 'malformed');
  if (name.local !== 'stream' || name.ns !== STREAMS_NS) return routeByAddress(address, 'not-stream');

  const fromValue = attribute(scan, 'from');
  const toValue = attribute(scan, 'to');
  const fromJid = fromValue === undefined ? undefined : parseBareJid(fromValue);
  const toJid = toValue === undefined ? undefined : parseBareJid(toValue);
  const from = fromJid === undefined ? '' : bareJidString(fromJid);
  const to = toJid === undefined ? '' : toJid.domain;

  // An unprefixed stream element makes the streams namespace the default one,
  // leaving no content namespace: not a stream anyone can serve.
  const content = name.ns === attribute(scan, 'xmlns') ? undefined : attribute(scan, 'xmlns');
  let stream: string;
  let key = '';
  let routeBy = BY_ADDR;
  if (content === CLIENT_NS) {
    stream = 'client';
    const account = fromJid !== undefined && isAccountOf(fromJid, toValue === undefined ? undefined : to);
    if (policy === POLICY_DOMAIN) {
      if (to !== '') { key = to; routeBy = BY_TO; }
      else if (account && fromJid !== undefined && toValue === undefined) { key = fromJid.domain; routeBy = BY_FROM; }
    } else if (account) {
      key = from;
      routeBy = BY_FROM;
    }
  } else if (content === SERVER_NS || content === COMPONENT_NS) {
    stream = content === SERVER_NS ? 'server' : 'component';
    if (to !== '') { key = to; routeBy = BY_TO; }
  } else {
    stream = 'unknown-namespace';
  }
  if (routeBy === BY_ADDR) key = address;
  return { key, routeBy, from, to, stream };
}

export function outcomeName(outcome: number): string {
  if (outcome === NOT_XML) return 'not-xml';
  if (outcome === RESTRICTED_XML) return 'restricted-xml';
  if (outcome === MALFORMED) return 'malformed';
  if (outcome === TOO_LONG) return 'too-long';
  if (outcome === HEADER) return 'header';
  return 'incomplete';
}
