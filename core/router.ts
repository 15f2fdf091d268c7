// What both adapters share: options from the proxy's variables, and one
// connection's routing from the bytes read so far. No I/O: the adapters read.
import { MORE, HeaderScan, newHeaderScan, scanHeader } from './header';
import { readWholeHeader } from './fast-header';
import { POLICY_BARE, POLICY_DOMAIN, Route, routeHeader } from './key';
import { HELLO_MORE, HelloScan, newHelloScan, routeHello, scanHello, startsTlsRecord } from './tls-hello';

/** Header limit by default: the bytes up to the end of the stream start tag. */
export const DEFAULT_HEADER_LIMIT = 8192;
export const MIN_HEADER_LIMIT = 256;
export const MAX_HEADER_LIMIT = 65536;

/** How long nginx waits for the header before it routes by address, in ms
 * (HAProxy has `tcp-request inspect-delay` for this). */
export const DEFAULT_HEADER_TIMEOUT_MS = 5000;
export const MAX_HEADER_TIMEOUT_MS = 600000;

export interface Router {
  policy: string;
  scan: HeaderScan;
  /** The first bytes were offered to readWholeHeader already. */
  triedWhole: boolean;
  /** Set when the first byte is a TLS record: a ClientHello (tls-hello.ts). */
  hello?: HelloScan;
}

/** 'domain' or 'bare'; anything else (unset included) is 'bare'. */
export function parsePolicy(value: string | undefined): string {
  return value === POLICY_DOMAIN ? POLICY_DOMAIN : POLICY_BARE;
}

/** A whole number of bytes within [MIN_HEADER_LIMIT, MAX_HEADER_LIMIT];
 * anything unset or unreadable is the default. */
export function parseHeaderLimit(value: string | undefined): number {
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

export function newRouter(policy: string | undefined, headerLimit: string | undefined): Router {
  return { policy: parsePolicy(policy), scan: newHeaderScan(parseHeaderLimit(headerLimit)), triedWhole: false };
}

/** Reads on; true once the bytes decide the route. `bytes` is everything the
 * client sent so far, as a byte string. */
export function feedRouter(router: Router, bytes: string): boolean {
  // Direct TLS passed through: the ClientHello is read instead of a header.
  if (router.hello === undefined && startsTlsRecord(bytes)) router.hello = newHelloScan(router.scan.limit);
  if (router.hello !== undefined) return scanHello(router.hello, bytes) !== HELLO_MORE;
  // Clients write their header in one go: the first bytes usually hold it
  // whole, and a platform with a shortcut reads it in one step. Only the first
  // bytes: trying again on every piece would read them all again each time.
  if (!router.triedWhole && bytes.length > 0) {
    router.triedWhole = true;
    if (readWholeHeader(router.scan, bytes) !== MORE) return true;
  }
  return scanHeader(router.scan, bytes) !== MORE;
}

/** The route, decided or not: undecided (the client went quiet, or the proxy
 * stopped waiting) routes by address. */
export function currentRoute(router: Router, address: string): Route {
  if (router.hello !== undefined) return routeHello(router.hello, router.policy, address);
  return routeHeader(router.scan, router.policy, address);
}
