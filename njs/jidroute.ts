// nginx stream adapter: read the client's first bytes in the preread phase,
// let core/ decide, publish the route in variables, and hand every byte on.
//
//   js_import jidroute from /usr/local/lib/jidroute/jidroute.js;
//   js_var $xmpp_key; js_var $xmpp_from; js_var $xmpp_to; js_var $xmpp_route_by;
//   js_preread jidroute.bare;       # or jidroute.domain: the policy is in the name
//
// Two paths. Here, the common one: the first bytes go to the recogniser
// (core/js/recognise.ts), which reads the headers real clients send in one
// native match; its route is published at once. Everything else goes on in
// njs/slow.ts (the full reader, the header timer, non-ASCII bytes), which
// dist/jidroute.js makes only for the connections that need it (build.mjs).
/// <reference types="njs-types/ngx_stream_js_module" />
import { BY_ADDR, Policy, Route } from '../core/key';
import { MIN_HEADER_LIMIT, parseHeaderLimit, parsePolicy } from '../core/router';
import { recogniseJs } from '../core/js/recognise';
import { startSlow } from './slow';

/** `named`: the handler's own policy (bare, domain), or undefined for
 * jidroute.preread, which reads $xmpp_policy as it always has. `var`, not
 * let or const, as in core/js/recognise.ts: njs 0.7.9 checks those bindings
 * on every access. */
function route(s: NginxStreamRequest, named: Policy | undefined): void {
  // The common path reads the 'upload' event's string on every njs. njs
  // 0.7 hands the bytes read so far as a byte string
  // (njs_vm_value_string_set), which plain ASCII core/ reads as it is. From
  // 0.8.5 on the string is the bytes decoded as UTF-8: up to the end of an
  // ASCII tag (all the recogniser takes) it is the bytes themselves, and it
  // costs njs about 13k instructions a connection less than the Buffer of
  // 'upstream' turned into a string (callgrind, bench/README.md: 120k ->
  // 107k on njs 0.8.9, 112k -> 98k on 1.0.2). The general path needs the
  // bytes (a string from invalid UTF-8 has lost them): on those njs it reads
  // 'upstream'. Which njs this is, the byte string functions tell
  // (String.prototype.toBytes went in 0.8.0, with the other functions that
  // read byte strings): cheaper than njs.version_number (about 750
  // instructions less a connection on njs 0.7.9, callgrind).
  var byteStrings = typeof ('' as unknown as { toBytes?: unknown }).toBytes === 'function';
  // Under QuickJS the 'upstream' Buffer from the start, as before: there a
  // declined header's string need not tell its bytes, and the handler that
  // waits for the phase to run again lost some junk connections under floods
  // (test/floods.test.mjs on the sid-qjs line: 29 of 2,000). Asked only
  // where there are no byte strings (njs 0.8 and later), and by Reflect,
  // which QuickJS has and njs's engine (to 1.0.x) has not: njs.engine costs
  // about 2k instructions a connection (the njs object is made on first
  // use; 98.2k -> 100.3k on njs 1.0.2).
  var event: 'upload' | 'upstream' = byteStrings || typeof Reflect !== 'object' ? 'upload' : 'upstream';
  var slow: ((data: string | Buffer) => void) | undefined;
  s.on(event as 'upload', function (data: string | Buffer): void {
    if (slow !== undefined) {
      slow(data);
      return;
    }
    // nginx makes the first call before it has read a byte.
    if (data.length === 0) return;
    var vars = s.variables as Record<string, string | undefined>;
    var route: Route | undefined;
    try {
      // The limit is read only when it can matter: it is never below
      // MIN_HEADER_LIMIT, and the tag is no longer than the string (a
      // string from UTF-8 has no more characters than bytes, and an ASCII
      // tag as many).
      // A Buffer (QuickJS) as text: the recogniser takes only an ASCII tag,
      // and up to its end the text is the bytes.
      route = recogniseJs(typeof data === 'string' ? data : data.toString(),
        named !== undefined ? named : parsePolicy(vars.xmpp_policy),
        data.length <= MIN_HEADER_LIMIT ? MIN_HEADER_LIMIT : parseHeaderLimit(vars.xmpp_header_limit));
    } catch (e) {
      // The general path reads these bytes again, and says what went wrong.
      route = undefined;
    }
    if (route === undefined) {
      if (event === 'upstream' || byteStrings) {
        slow = startSlow(s, named, event);
        slow(data);
        return;
      }
      // Over to 'upstream', whose Buffer holds every byte read so far.
      s.off('upload');
      slow = startSlow(s, named, 'upstream');
      s.on('upstream', slow);
      // These bytes are read now when the string tells them exactly: plain
      // ASCII is its own bytes, and njs's engine decodes UTF-8 as WHATWG
      // does (src/njs_utf8.c: no overlong form, surrogate or cut sequence
      // gets through), so text without U+FFFD encodes back to the very
      // bytes. Waiting for the phase to run again would not do for a
      // client that filled preread_buffer_size in one read: nginx ends the
      // connection before that (test/qjs-hostile.test.mjs, oversized
      // headers, when QuickJS read 'upload' too). Only from njs 0.8.5 on:
      // before, the string holds the bytes as they came (njs CHANGES), and
      // those njs wait as below. Asked here, on a declined header only:
      // njs.version_number costs about 2k instructions.
      if ((njs as unknown as { version_number: number }).version_number >= 0x000805 &&
          (data as string).indexOf('\ufffd') < 0) {
        slow(Buffer.from(data as string));
        return;
      }
      // Otherwise nginx calls the 'upstream' handler when it runs the
      // preread phase again: when more bytes come, or when a timer's
      // callback has run (njs 0.8 and later; njs/slow.ts's header timer
      // relies on it too). A timer that does nothing makes that happen now,
      // for a client that has sent all it will send before an answer. Its
      // callback is a native function: a function written here would make
      // this handler dearer on every connection (about 500 instructions on
      // njs 0.7.9, callgrind).
      setTimeout(String, 0);
      return;
    }
    s.off(event);
    // The address is read only for a route by address (the recogniser gives
    // it with the key '').
    if (route.routeBy === BY_ADDR) route.key = vars.remote_addr || '';
    // The recogniser reads only ASCII values: their own text. Written out
    // here, not through publishRoute: a call costs njs about 1k instructions.
    try {
      vars.xmpp_key = route.key;
    } catch (e) {
      s.error('jidroute: cannot set $xmpp_key (declare it with js_var): ' + e);
    }
    try {
      vars.xmpp_route_by = route.routeBy;
      vars.xmpp_from = route.from;
      vars.xmpp_to = route.to;
      vars.xmpp_stream = route.stream;
    } catch (e) {
      // One of them is not declared: each on its own, written out (a
      // function at a module's top level costs every connection).
      try { vars.xmpp_route_by = route.routeBy; } catch (e2) { /* not declared */ }
      try { vars.xmpp_from = route.from; } catch (e2) { /* not declared */ }
      try { vars.xmpp_to = route.to; } catch (e2) { /* not declared */ }
      try { vars.xmpp_stream = route.stream; } catch (e2) { /* not declared */ }
    }
    s.done();
  });
}

// The policy in the handler's name: a js_var is not scoped to a server block,
// so `js_var $xmpp_policy domain;` in one server reaches every server; a
// handler name is the listener's own.
function bare(s: NginxStreamRequest): void {
  route(s, 'bare');
}
function domain(s: NginxStreamRequest): void {
  route(s, 'domain');
}
/** Configs written before the policy was in the name: $xmpp_policy decides. */
function preread(s: NginxStreamRequest): void {
  route(s, undefined);
}

/** This build's version (package.json), set by build.mjs. */
declare const __JIDROUTE_VERSION__: string;

export default { bare, domain, preread, version: __JIDROUTE_VERSION__ };
