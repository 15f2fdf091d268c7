// What both adapters share: options from the proxy's variables, and one
// connection's routing from the bytes read so far. No I/O: the adapters read.
//
// In the njs build this module is on the general path only (njs/slow.ts):
// njs/jidroute.ts asks the recogniser first and takes parsePolicy,
// parseHeaderLimit and MIN_HEADER_LIMIT from here, nothing else.
import { MORE, HeaderScan, newHeaderScan, scanHeader } from './header';
import { SkipClass } from './charclass';
import type { AttributeRun, LowerPart } from './jid';
import { BY_ADDR, POLICY_BARE, POLICY_DOMAIN, Policy, Route, routeByAddress, routeHeader } from './key';
import { HELLO_MORE, HelloScan, newHelloScan, routeHello, scanHello, startsTlsRecord } from './tls-hello';

/** Header limit by default: the bytes up to the end of the stream start tag. */
export const DEFAULT_HEADER_LIMIT = 8192;
const DEFAULT_HEADER_LIMIT_TEXT = '8192';
export const MIN_HEADER_LIMIT = 256;
export const MAX_HEADER_LIMIT = 65536;

/** How long nginx waits for the header before it routes by address, in ms
 * (HAProxy has `tcp-request inspect-delay` for this). */
export const DEFAULT_HEADER_TIMEOUT_MS = 5000;
export const MAX_HEADER_TIMEOUT_MS = 600000;

/**
 * What a platform reads natively, handed to the router by its adapter
 * (njs/slow.ts passes core/js/recognise.ts's, haproxy/jidroute.ts
 * core/lua/recognise.ts's): nothing here is swapped behind an import.
 */
export interface Recogniser {
  /** The final route of a header of a shape real clients send, read in one
   * native step; undefined for anything it does not read with certainty,
   * which then goes to the full reader (header.ts) unchanged. A route by
   * address comes back with key '' (the address is filled in by
   * currentRoute). `bytes`: the first bytes the client sent; it decides
   * none that do not start with '<' (recogniseFirst relies on that). */
  recognise: (this: void, bytes: string, policy: Policy, limit: number) => Route | undefined;
  /** The full reader's runs of bytes of one class (charclass.ts). */
  skipClass: SkipClass;
  /** The full reader's case mapping of a non-ASCII JID part (jid.ts);
   * without it, the portable lowerPart. */
  lowerPart?: LowerPart;
  /** The full reader's check of non-ASCII attribute text (xml.ts's
   * isXmlText); without it, isXmlText. */
  isXmlText?: (this: void, raw: string) => boolean;
  /** The full reader's run of plain attributes (jid.ts AttributeRun), if the
   * platform has one. */
  attributeRun?: AttributeRun;
}

export interface Router {
  policy: Policy;
  limit: number;
  recogniser: Recogniser;
  /** The recogniser's route, once it has read the header. */
  route: Route | undefined;
  /** The full reader's state, made only when the recogniser did not decide
   * (njs frees nothing before the connection ends). */
  scan: HeaderScan | undefined;
  /** The first bytes were offered to the recogniser already. */
  offered: boolean;
  /** Set when the first byte is a TLS record: a ClientHello (tls-hello.ts). */
  hello?: HelloScan;
}

/** 'domain' or 'bare'; anything else (unset included) is 'bare'. */
export function parsePolicy(value: string | undefined): Policy {
  return value === POLICY_DOMAIN ? POLICY_DOMAIN : POLICY_BARE;
}

/** A whole number of bytes within [MIN_HEADER_LIMIT, MAX_HEADER_LIMIT];
 * anything unset or unreadable is the default. */
export function parseHeaderLimit(value: string | undefined): number {
  // The example configs set the default (js_var $xmpp_header_limit 8192): one
  // comparison instead of a loop over its digits (about 9k instructions in
  // njs, on every connection).
  if (value === DEFAULT_HEADER_LIMIT_TEXT) return DEFAULT_HEADER_LIMIT;
  if (value === undefined || value === '' || value.length > 6) return DEFAULT_HEADER_LIMIT;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const b = value.charCodeAt(i);
    if (b < 0x30 || b > 0x39) return DEFAULT_HEADER_LIMIT;
    n = n * 10 + (b - 0x30);
  }
  if (n < MIN_HEADER_LIMIT) return MIN_HEADER_LIMIT;
  if (n > MAX_HEADER_LIMIT) return MAX_HEADER_LIMIT;
  return n;
}

/** nginx's time syntax, the part that fits: "5s", "500ms", or "5" (seconds).
 * "0" turns the timer off (then preread_timeout alone applies). Unset or
 * unreadable is the default; longer than MAX_HEADER_TIMEOUT_MS is that. */
export function parseHeaderTimeout(value: string | undefined): number {
  if (value === undefined || value === '' || value.length > 9) return DEFAULT_HEADER_TIMEOUT_MS;
  let digits = value;
  let unit = 1000;
  if (value.substring(value.length - 2) === 'ms') {
    digits = value.substring(0, value.length - 2);
    unit = 1;
  } else if (value.substring(value.length - 1) === 's') {
    digits = value.substring(0, value.length - 1);
  }
  if (digits === '') return DEFAULT_HEADER_TIMEOUT_MS;
  let n = 0;
  for (let i = 0; i < digits.length; i++) {
    const b = digits.charCodeAt(i);
    if (b < 0x30 || b > 0x39) return DEFAULT_HEADER_TIMEOUT_MS;
    n = n * 10 + (b - 0x30);
  }
  const ms = n * unit;
  return ms > MAX_HEADER_TIMEOUT_MS ? MAX_HEADER_TIMEOUT_MS : ms;
}

export function newRouter(policy: string | undefined, headerLimit: string | undefined, recogniser: Recogniser): Router {
  return {
    policy: parsePolicy(policy), limit: parseHeaderLimit(headerLimit), recogniser,
    route: undefined, scan: undefined, offered: false,
  };
}

/**
 * The common case in one step, without a Router (each table made costs the
 * Lua build instructions and, until it is collected, memory per connection):
 * the recogniser's route of the first bytes, the address filled in as
 * currentRoute does, or undefined when they are empty or not a header the
 * recogniser decides. Then newRouter and feedRouter read them as usual (the
 * recogniser is asked once more and declines once more). No TLS check first:
 * a recogniser decides only bytes that start with '<', and a TLS record
 * starts with 0x16 (feedRouter takes it then). `headerLimit` may be left
 * undefined (the default) for bytes no longer than MIN_HEADER_LIMIT: no
 * limit is lower, so none changes what the recogniser makes of them (it
 * refuses only a tag that ends past the limit), and the adapter need not
 * read the option.
 */
export function recogniseFirst(policy: string | undefined, headerLimit: string | undefined, recogniser: Recogniser,
  bytes: string, address: string): Route | undefined {
  if (bytes.length === 0) return undefined;
  // parsePolicy and parseHeaderLimit written out for what most configs set
  // (a policy, no limit): a Lua call costs ~600 instructions under HAProxy's
  // count hook, a comparison ~50.
  const route = recogniser.recognise(bytes, policy === POLICY_DOMAIN ? POLICY_DOMAIN : POLICY_BARE,
    headerLimit === undefined ? DEFAULT_HEADER_LIMIT : parseHeaderLimit(headerLimit));
  if (route !== undefined && route.routeBy === BY_ADDR) route.key = address;
  return route;
}

/** Reads on; true once the bytes decide the route. `bytes` is everything the
 * client sent so far, as a byte string. */
export function feedRouter(router: Router, bytes: string): boolean {
  // Direct TLS passed through: the ClientHello is read instead of a header.
  if (router.hello === undefined && startsTlsRecord(bytes)) router.hello = newHelloScan(router.limit, router.recogniser);
  if (router.hello !== undefined) return scanHello(router.hello, bytes) !== HELLO_MORE;
  if (router.route !== undefined) return true;
  // Clients write their header in one go: the first bytes usually hold it
  // whole, and the recogniser reads it in one step. Only the first bytes:
  // trying again on every piece would read them all again each time.
  if (!router.offered && bytes.length > 0) {
    router.offered = true;
    router.route = router.recogniser.recognise(bytes, router.policy, router.limit);
    if (router.route !== undefined) return true;
  }
  if (router.scan === undefined) router.scan = newHeaderScan(router.limit, router.recogniser);
  return scanHeader(router.scan, bytes) !== MORE;
}

/** Whether the recogniser decided the route (for the tests and the bench). */
export function recognised(router: Router): boolean {
  return router.route !== undefined;
}

/** The route, decided or not: undecided (the client went quiet, or the proxy
 * stopped waiting) routes by address. */
export function currentRoute(router: Router, address: string): Route {
  if (router.hello !== undefined) return routeHello(router.hello, router.policy, address);
  const route = router.route;
  if (route !== undefined) {
    if (route.routeBy === BY_ADDR) route.key = address;
    return route;
  }
  if (router.scan === undefined) return routeByAddress(address, 'incomplete');
  return routeHeader(router.scan, router.policy, address);
}
