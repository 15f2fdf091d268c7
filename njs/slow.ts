// The njs adapter's general path: every connection whose first bytes the
// recogniser did not decide (njs/jidroute.ts tried them first) goes on here,
// with the router (core/router.ts) and the full reader, the header timer and
// the conversions of non-ASCII bytes. In dist/jidroute.js this module and everything it
// imports are the body of one function, run the first time a connection
// needs it (build.mjs, lazySlowPath): njs makes every function of a module
// again in every connection's VM, and most connections never come here.
/// <reference types="njs-types/ngx_stream_js_module" />
import { BY_ADDR, Route, routeByAddress } from '../core/key';
import { Router, currentRoute, feedRouter, newRouter, parseHeaderTimeout, recognised } from '../core/router';
import { RECOGNISER_JS } from '../core/js/recognise';
import { publishRoute } from './publish';
import { njsVersion } from './version';

/** The bytes of a Buffer from `start` on as a byte string (one code unit a
 * byte), the form core/ reads. In pieces: Function.apply takes only so many
 * arguments (njs 0.7.9 refuses 2048). */
function byteString(data: Buffer, start: number): string {
  // Most headers are ASCII, and then the UTF-8 text of the bytes is the byte
  // string itself: one native call instead of fromCharCode over every byte
  // (about 14k against 56k instructions for a 189-byte header on njs 0.7.9,
  // callgrind). Any other byte shows: a valid sequence decodes to fewer
  // characters than it has bytes, an invalid one to U+FFFD.
  const tail = start === 0 ? data : data.subarray(start);
  const decoded = tail.toString();
  if (decoded.length === tail.length && decoded.indexOf('\uFFFD') < 0) return decoded;
  let out = '';
  for (let at = start; at < data.length; at += 1024) {
    const end = at + 1024 < data.length ? at + 1024 : data.length;
    out += String.fromCharCode.apply(null, data.subarray(at, end) as unknown as number[]);
  }
  return out;
}

const NOT_ASCII = /[^\x00-\x7f]/;

/** What core/ cannot read in the byte string njs 0.7 hands to 'upload' as it
 * is: njs 0.7 joins a byte string and a string core/ makes (with
 * String.fromCharCode: decoding a character reference, case-mapping) by
 * copying the bytes of each, and a code unit above 0x7f takes two bytes in
 * the second, one in the first. So a byte above 0x7f, or a '&' (a reference
 * core/ may decode to one), and the bytes are made one code unit a byte
 * first; plain ASCII, every client's header, is read as it came. */
const BYTES_TO_REMAKE = /[&\x80-\xff]/;

/** njs 0.7's byte string as one code unit a byte. Through hex, the one way
 * njs 0.7 gives a byte string's bytes as they are: Buffer.from(bytes) decodes
 * them as UTF-8 (an invalid sequence becomes U+FFFD). */
function codeUnits(bytes: string): string {
  const hex = (bytes as unknown as { toString(encoding: string): string }).toString('hex');
  return byteString(Buffer.from(hex, 'hex'), 0);
}

/** core/ answers in UTF-8 bytes; nginx writes a variable's text as UTF-8, so
 * it must get the text those bytes spell (core/ checked they are UTF-8). */
function text(bytes: string): string {
  // A native search: a loop over the characters costs about 1,600
  // instructions a character in njs 0.7.9.
  if (!NOT_ASCII.test(bytes)) return bytes;
  const octets = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) octets[i] = bytes.charCodeAt(i);
  return new TextDecoder().decode(octets as unknown as ArrayBuffer);
}

/** `ascii`: the route's values are ASCII (the recogniser reads only ASCII
 * values, and an address is ASCII), so they are their own text. */
function publish(s: NginxStreamRequest, route: Route, ascii: boolean): void {
  publishRoute(s.variables as Record<string, string | undefined>, ascii ? route.key : text(route.key), route,
    ascii ? route.from : text(route.from), ascii ? route.to : text(route.to));
}

/** njs 0.7 acts on a done() called from a timer only when the client sends
 * more bytes (or preread_timeout closes the connection), so the header timer
 * would help nothing there; seen working on njs 0.8.9 (nginx 1.26). */
function timersResumePreread(): boolean {
  return njsVersion() >= 0x000800;
}

/** Takes a connection over from the recogniser: the handler of `event`
 * (njs/jidroute.ts's), to be called with these bytes first and then with
 * every event's. `named`: the handler's own policy (bare, domain), or
 * undefined for jidroute.preread, which reads $xmpp_policy as it always has. */
export function startSlow(s: NginxStreamRequest, named: string | undefined, event: 'upload' | 'upstream'): (data: string | Buffer) => void {
  const vars = s.variables as Record<string, string | undefined>;
  // Read where the router is made, inside its try: as before the names.
  function policy(): string | undefined {
    return named !== undefined ? named : vars.xmpp_policy;
  }
  let router: Router | undefined;
  let seen = '';
  let finished = false;
  let timer: TimerHandle | undefined;

  function finish(route: Route): void {
    finished = true;
    if (timer !== undefined) clearTimeout(timer);
    s.off(event);
    // The address is read only for a route by address (every such route
    // comes with the address passed to core/, here '').
    if (route.routeBy === BY_ADDR) route.key = vars.remote_addr || '';
    try {
      publish(s, route, router !== undefined && recognised(router));
    } catch (e) {
      s.error('jidroute: cannot set $xmpp_key (declare it with js_var): ' + e);
    }
    s.done();
  }

  // A client that has begun its header but not finished it in time is routed
  // by address and its bytes go on, as HAProxy does when inspect-delay ends;
  // without this, nginx's preread_timeout would close it and drop what it
  // sent. The timer starts with the first byte: nginx logs "pending events
  // while prereading" for a connection that closes while a timer is pending,
  // and a probe that connects and sends nothing has nothing to lose.
  function startTimer(): void {
    const timeoutMs = parseHeaderTimeout(vars.xmpp_header_timeout);
    if (timeoutMs <= 0 || !timersResumePreread()) return;
    timer = setTimeout(function (): void {
      // Fired: no longer pending, so finish() must not clear it. njs (to
      // 1.0.x at least) frees a timer again after its callback returns, and
      // under QuickJS clearing the running timer frees its function twice:
      // the worker aborts (repro/quickjs-timer-abort).
      timer = undefined;
      if (finished) return;
      let route: Route;
      try {
        route = currentRoute(router === undefined ? newRouter(policy(), vars.xmpp_header_limit, RECOGNISER_JS) : router, '');
      } catch (e) {
        route = routeByAddress('', 'error');
      }
      finish(route);
    }, timeoutMs);
  }

  // On njs 0.7, `seen` is the byte string as it came (`raw`) until it
  // holds what core/ cannot read that way (BYTES_TO_REMAKE), then one code
  // unit a byte. Only the bytes new to an event are tested, before the full
  // reader reads them: njs 0.7.9 makes the strings a RegExp match gives from
  // a byte string UTF-8 strings, and a RegExp then run on one holding a byte
  // above 0x7f throws ("pcre2_match() failed: UTF-8 error"; the full
  // reader's runs of attributes, core/js/attributes.ts, test their text).
  let raw = true;
  return function (data: string | Buffer): void {
    if (finished || data.length === 0) return;
    let route: Route | undefined;
    try {
      if (router === undefined) router = newRouter(policy(), vars.xmpp_header_limit, RECOGNISER_JS);
      // Each event has every byte read so far.
      let decided: boolean;
      if (typeof data !== 'string') {
        if (data.length > seen.length) seen += byteString(data, seen.length);
        decided = feedRouter(router, seen);
      } else if (!raw) {
        if (data.length > seen.length) seen += codeUnits(data.substring(seen.length));
        decided = feedRouter(router, seen);
      } else {
        if (BYTES_TO_REMAKE.test(seen.length === 0 ? data : data.substring(seen.length))) {
          // Read again from the first byte, one code unit a byte: what the
          // full reader kept so far came from the byte string.
          raw = false;
          seen = codeUnits(data);
          router = newRouter(policy(), vars.xmpp_header_limit, RECOGNISER_JS);
        } else {
          seen = data;
        }
        decided = feedRouter(router, seen);
      }
      if (!decided) {
        if (timer === undefined) startTimer();
        return;
      }
      route = currentRoute(router, '');
    } catch (e) {
      s.error('jidroute: unexpected error, routing by address: ' + e);
      route = routeByAddress('', 'error');
    }
    finish(route);
  };
}

