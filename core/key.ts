// From a stream header to the key the proxy hashes on.
import { HEADER, HeaderScan, MALFORMED, NOT_XML, RESTRICTED_XML, TOO_LONG, attribute } from './header';
import { bareJidString, parseBareJid } from './jid';

/** RFC 6120 §4.8.1 https://www.rfc-editor.org/rfc/rfc6120#section-4.8.1 */
export const STREAMS_NS = 'http://etherx.jabber.org/streams';

/** The content namespaces (RFC 6120 §4.8.2, XEP-0114 §3). */
export const CLIENT_NS = 'jabber:client';
export const SERVER_NS = 'jabber:server';
export const COMPONENT_NS = 'jabber:component:accept';

/** How a listener keys its connections: by the client's bare JID, or by the
 * service domain (README, routing rules). */
export type Policy = 'bare' | 'domain';
export const POLICY_BARE: Policy = 'bare';
export const POLICY_DOMAIN: Policy = 'domain';

/** What gave the key: the `from` attribute, the `to` attribute, a TLS
 * ClientHello's server_name (tls-hello.ts), or the client's address. */
export type RouteBy = 'from' | 'to' | 'sni' | 'addr';
export const BY_FROM: RouteBy = 'from';
export const BY_TO: RouteBy = 'to';
export const BY_ADDR: RouteBy = 'addr';

/** What the bytes were: a stream of one kind, a TLS ClientHello of a client
 * or a server (by its ALPN, tls-hello.ts), or why they were not read as one
 * ('incomplete': no whole header in time; 'error': an exception in the
 * adapter). */
export type StreamKind = 'client' | 'server' | 'component' | 'tls-client' | 'tls-server' |
  'not-xml' | 'restricted-xml' | 'malformed' | 'too-long' | 'not-stream' | 'unknown-namespace' |
  'incomplete' | 'error';

export interface Route {
  /** What the proxy hashes on (a byte string: UTF-8). */
  key: string;
  routeBy: RouteBy;
  /** Normalised bare JID from the 'from' attribute, or ''. */
  from: string;
  /** Normalised domain from the 'to' attribute (or a ClientHello's
   * server_name), or ''. */
  to: string;
  stream: StreamKind;
}

export function routeByAddress(address: string, why: StreamKind): Route {
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
 * The route of a stream header that was read, whichever reader read it (the
 * full reader below, a platform's recogniser): one home for the rule.
 *
 * RFC 6120 §4.7.1 https://www.rfc-editor.org/rfc/rfc6120#section-4.7.1 : a
 * client's `from` is its bare JID, user@service (unauthenticated, chosen by
 * the client); §4.7.2 https://www.rfc-editor.org/rfc/rfc6120#section-4.7.2 :
 * `to` is the service's domain. A client's `from` counts only when it names an
 * account of the service it addresses: a localpart, and the domain of `to`
 * (or no `to` attribute at all). A `from` without a localpart (sendxmpp sends
 * the machine's host name) or in another domain would put unrelated accounts
 * together. Server and component streams key on `to`.
 *
 * `from`: the normalised bare JID or ''; `fromDomain`: its domain;
 * `fromHasLocal`: it has a localpart; `to`: the normalised domain of `to` or
 * '' (absent or no JID); `toGiven`: the header has a `to` attribute.
 */
export function streamRoute(policy: Policy, stream: StreamKind, from: string, fromDomain: string, fromHasLocal: boolean,
  to: string, toGiven: boolean, address: string): Route {
  // Each route written out, no variable set on the way: the njs build runs
  // this on every connection, and njs 0.7.9 checks let bindings on access.
  if (stream === 'client') {
    const account = from !== '' && fromHasLocal && (!toGiven || fromDomain === to);
    if (policy === POLICY_DOMAIN) {
      if (to !== '') return { key: to, routeBy: BY_TO, from, to, stream };
      if (account && !toGiven) return { key: fromDomain, routeBy: BY_FROM, from, to, stream };
    } else if (account) {
      return { key: from, routeBy: BY_FROM, from, to, stream };
    }
  } else if (to !== '') {
    return { key: to, routeBy: BY_TO, from, to, stream };
  }
  return { key: address, routeBy: BY_ADDR, from, to, stream };
}

/** The content namespace's stream kind, or undefined for any other. */
function contentKind(ns: string | undefined): StreamKind | undefined {
  if (ns === CLIENT_NS) return 'client';
  if (ns === SERVER_NS) return 'server';
  if (ns === COMPONENT_NS) return 'component';
  return undefined;
}

/** The route for a finished scan of the full reader. */
export function routeHeader(scan: HeaderScan, policy: Policy, address: string): Route {
  if (scan.outcome !== HEADER) return routeByAddress(address, outcomeName(scan.outcome));
  const name = elementNamespace(scan);
  if (name === undefined) return routeByAddress(address, 'malformed');
  if (name.local !== 'stream' || name.ns !== STREAMS_NS) return routeByAddress(address, 'not-stream');

  const fromValue = attribute(scan, 'from');
  const toValue = attribute(scan, 'to');
  const fromJid = fromValue === undefined ? undefined : parseBareJid(fromValue, scan.skip, scan.lower);
  const toJid = toValue === undefined ? undefined : parseBareJid(toValue, scan.skip, scan.lower);
  const from = fromJid === undefined ? '' : bareJidString(fromJid);
  const to = toJid === undefined ? '' : toJid.domain;

  // An unprefixed stream element makes the streams namespace the default one,
  // leaving no content namespace: not a stream anyone can serve.
  const kind = name.ns === attribute(scan, 'xmlns') ? undefined : contentKind(attribute(scan, 'xmlns'));
  if (kind === undefined) return { key: address, routeBy: BY_ADDR, from, to, stream: 'unknown-namespace' };
  return streamRoute(policy, kind, from, fromJid === undefined ? '' : fromJid.domain,
    fromJid !== undefined && fromJid.local !== '', to, toValue !== undefined, address);
}

export function outcomeName(outcome: number): StreamKind {
  if (outcome === NOT_XML) return 'not-xml';
  if (outcome === RESTRICTED_XML) return 'restricted-xml';
  if (outcome === MALFORMED) return 'malformed';
  if (outcome === TOO_LONG) return 'too-long';
  return 'incomplete';
}
