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
  // njs 0.7's 'upload' event hands the bytes read so far as a byte string
  // (njs_vm_value_string_set), which plain ASCII core/ reads as it is, with
  // nothing to convert. Later njs drop byte strings (0.8.0 the functions
  // that read them, 0.8.5 the event's: its string is decoded as UTF-8), so
  // there the Buffer of 'upstream' is read. Which njs this is, the byte
  // string functions tell (String.prototype.toBytes went in 0.8.0):
  // cheaper than njs.version_number (about 750 instructions less a
  // connection on njs 0.7.9, callgrind).
  var event: 'upload' | 'upstream' = typeof ('' as unknown as { toBytes?: unknown }).toBytes === 'function' ?
    'upload' : 'upstream';
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
      // A Buffer as text: the recogniser takes only an ASCII tag, and up to
      // its end the text is the bytes (a byte above 0x7f after it changes
      // nothing before it).
      // The limit is read only when it can matter: it is never below
      // MIN_HEADER_LIMIT, and the tag is no longer than the bytes.
      route = recogniseJs(typeof data === 'string' ? data : data.toString(),
        named !== undefined ? named : parsePolicy(vars.xmpp_policy),
        data.length <= MIN_HEADER_LIMIT ? MIN_HEADER_LIMIT : parseHeaderLimit(vars.xmpp_header_limit));
    } catch (e) {
      // The general path reads these bytes again, and says what went wrong.
      route = undefined;
    }
    if (route === undefined) {
      slow = startSlow(s, named, event);
      slow(data);
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
