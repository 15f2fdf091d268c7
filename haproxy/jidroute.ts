// HAProxy adapter: `tcp-request content lua.jidroute` (bare policy) and
// `lua.jidroute_domain` (domain policy), actions that wait for
// the stream header (within `tcp-request inspect-delay`), let core/ decide,
// and set sess.xmpp_key, sess.xmpp_from, sess.xmpp_to, sess.xmpp_route_by.
//
//   global
//     lua-load /usr/local/lib/jidroute/jidroute.lua
//   frontend xmpp
//     tcp-request inspect-delay 5s
//     tcp-request content lua.jidroute
//     default_backend xmpp_c2s      # balance hash var(sess.xmpp_key)
import { Route, routeByAddress } from '../core/key';
import { Recogniser, Router, currentRoute, feedRouter, newRouter, recognised, recogniseFirst } from '../core/router';
import { RECOGNISER_LUA } from '../core/lua/recognise';
import { skipClassLua } from '../core/lua/charclass';

function publish(txn: HaproxyTxn, route: Route): void {
  txn.set_var('sess.xmpp_key', route.key);
  txn.set_var('sess.xmpp_route_by', route.routeBy);
  txn.set_var('sess.xmpp_from', route.from);
  txn.set_var('sess.xmpp_to', route.to);
  txn.set_var('sess.xmpp_stream', route.stream);
}

/** Channel.data answers nil when nothing can come any more, and -1 where
 * the offset is past the data: both mean no (more) bytes. */
function received(data: unknown): string {
  return typeof data === 'string' ? data : '';
}

/** Reads until core/ can decide. Channel.data(0, n + 1) yields until a byte
 * more has arrived (or the delay ends, or the client closes) but returns only
 * n + 1 bytes: take all there is with data(0) then, so that each pass reads
 * everything new and the loop stays linear. */
function routeConnection(txn: HaproxyTxn, router: Router, first: string, address: string): Route {
  let bytes = first;
  while (!feedRouter(router, bytes)) {
    const more = received(txn.req.data(0, bytes.length + 1));
    if (more.length <= bytes.length) break; // delay over, or the client is done
    const all = received(txn.req.data(0));
    bytes = all.length >= more.length ? all : more;
  }
  return currentRoute(router, address);
}

/** The route of one connection; `policy` undefined for lua.jidroute, which
 * reads sess.xmpp_policy (bare when unset), as configs written before
 * lua.jidroute_domain expect. A module-level function called through pcall:
 * a try block would make two closures for every connection. The first bytes
 * usually hold the whole header, which recogniseFirst decides without a
 * router. */
function routeTxn(this: void, txn: HaproxyTxn, policy: string | undefined): Route {
  const address = txn.f.src() || '';
  const chosen = policy !== undefined ? policy : txn.get_var('sess.xmpp_policy');
  const limit = txn.get_var('sess.xmpp_header_limit');
  const data = txn.req.data(0);
  const first = typeof data === 'string' ? data : ''; // received(), without the call
  const route = recogniseFirst(chosen, limit, RECOGNISER_LUA, first, address);
  if (route !== undefined) return route;
  return routeConnection(txn, newRouter(chosen, limit, RECOGNISER_LUA), first, address);
}

function source(this: void, txn: HaproxyTxn): string {
  return txn.f.src() || '';
}

function act(txn: HaproxyTxn, policy: string | undefined): void {
  const [ok, result] = pcall(routeTxn, txn, policy);
  if (ok) {
    publish(txn, result as Route);
    return;
  }
  if (core !== undefined) core.log(core.err, 'jidroute: unexpected error, routing by address: ' + String(result));
  const [known, address] = pcall(source, txn);
  publish(txn, routeByAddress(known ? address as string : '', 'error'));
}

// Tail calls (`return`): no frame of their own on the connection's Lua
// thread, whose stack and call records HAProxy keeps for the connection.
function action(this: void, txn: HaproxyTxn): void {
  return act(txn, undefined);
}
function actionDomain(this: void, txn: HaproxyTxn): void {
  return act(txn, 'domain');
}

if (core !== undefined) {
  core.register_action('jidroute', ['tcp-req'], action, 0);
  core.register_action('jidroute_domain', ['tcp-req'], actionDomain, 0);
}

// For the parity tests, which load this file in a plain Lua interpreter:
// newRouter with this build's recogniser unless told otherwise (FULL_READER:
// the full reader alone).
const FULL_READER: Recogniser = { recognise: function (this: void) { return undefined; }, skipClass: skipClassLua };
function newTestRouter(this: void, policy: string | undefined, limit: string | undefined, recogniser?: Recogniser): Router {
  return newRouter(policy, limit, recogniser === undefined ? RECOGNISER_LUA : recogniser);
}
export { newTestRouter as newRouter, feedRouter, currentRoute, recognised, FULL_READER };
