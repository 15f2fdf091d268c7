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
import { MIN_HEADER_LIMIT, Recogniser, Router, currentRoute, feedRouter, newRouter, recognised, recogniseFirst } from '../core/router';
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

/** What the common path reads (through pcall, see act): the client's
 * address, the policy (`policy` undefined for lua.jidroute, which reads
 * sess.xmpp_policy, bare when unset, as configs written before
 * lua.jidroute_domain expect) and the first bytes. */
function readTxn(this: void, txn: HaproxyTxn, policy: string | undefined): LuaMultiReturn<[string, string | undefined, string]> {
  // Each call as low on the stack as it goes: the policy into the parameter,
  // then one local (get_var last, above the others, doubled the stack).
  if (policy === undefined) policy = txn.get_var('sess.xmpp_policy');
  let first = txn.req.data(0);
  if (typeof first !== 'string') first = ''; // received(), without the call
  return $multi(txn.f.src() || '', policy, first);
}

/** Everything else: the recogniser (unless the shared coroutine has asked it
 * already: `offered`), then the full reader, reading on. sess.xmpp_header_limit
 * is read here only: the first bytes act hands the shared coroutine are no
 * longer than any limit (recogniseFirst), and a get_var costs ~1,000
 * instructions. */
function routeSlow(this: void, txn: HaproxyTxn, chosen: string | undefined, first: string, address: string, offered: boolean): Route {
  const limit = txn.get_var('sess.xmpp_header_limit');
  if (!offered) {
    const route = recogniseFirst(chosen, limit, RECOGNISER_LUA, first, address);
    if (route !== undefined) return route;
  }
  return routeConnection(txn, newRouter(chosen, limit, RECOGNISER_LUA), first, address);
}

/** What the shared coroutine yields when the recogniser declines. */
const DECLINED = {};

/** The body of the shared coroutine: recogniseFirst of what each resume
 * hands it, yielded back (the route, or DECLINED). */
function recogniseOnShared(this: void, first: string, chosen: string | undefined, address: string): void {
  for (;;) {
    const route = recogniseFirst(chosen, undefined, RECOGNISER_LUA, first, address);
    [first, chosen, address] = coroutine.yield<[string, string | undefined, string]>(route === undefined ? DECLINED : route);
  }
}

/**
 * One coroutine for all connections, made when the module loads, that runs
 * the recogniser. HAProxy keeps each connection's Lua thread (its stack, 40
 * slots to begin with, and its call records) as long as the connection, and
 * every C call asks for 20 free slots above it: the recogniser's calls, three
 * Lua calls deep, doubled each thread's stack (0.6 KiB a connection, and
 * malloc_consolidate for the 1,280 bytes). On this coroutine's stack, grown
 * once, they cost nothing more; and made outside any connection, it has no
 * count hook (HAProxy sets its hook on each connection's thread, and a hook
 * there costs ~14 instructions every Lua instruction). Only pure core/ code
 * runs on it: nothing that yields, no HAProxy function (those would find no
 * connection behind this thread). Should it ever end in an error, or come
 * back without an answer, it is dropped, never made again (one made on a
 * connection's thread would carry that thread's hook and context), and the
 * connections' own threads do the work, as before.
 */
let shared: LuaCoroutine | undefined = coroutine.create(recogniseOnShared);
const resume = coroutine.resume;

function source(this: void, txn: HaproxyTxn): string {
  return txn.f.src() || '';
}

function failed(txn: HaproxyTxn, error: unknown): Route {
  if (core !== undefined) core.log(core.err, 'jidroute: unexpected error, routing by address: ' + String(error));
  const [known, address] = pcall(source, txn);
  return routeByAddress(known ? address as string : '', 'error');
}

/** The route of one connection, published. Functions at module level called
 * through pcall: a try block would make two closures for every connection.
 * Written for this thread's stack: on the common path no call runs above its
 * 15th slot, so that the 40 slots HAProxy gives the thread suffice (`route`
 * before the block, whose locals end with it, then publish low again). */
function act(txn: HaproxyTxn, policy: string | undefined): void {
  let route: unknown;
  {
    let [ok, address, chosen, first] = pcall(readTxn, txn, policy);
    if (ok) {
      if (shared !== undefined && first.length <= MIN_HEADER_LIMIT) {
        const [resumed, answer] = resume(shared, first, chosen, address);
        if (resumed && answer === DECLINED) [ok, route] = pcall(routeSlow, txn, chosen, first, address, true);
        else if (resumed && answer !== undefined) route = answer;
        else shared = undefined;
      }
      if (ok && route === undefined) [ok, route] = pcall(routeSlow, txn, chosen, first, address, false);
    }
    // The error: readTxn's in `address`, routeSlow's in `route`.
    if (!ok) route = failed(txn, route === undefined ? address : route);
  }
  publish(txn, route as Route);
  // The collector paced a little faster: 8 KiB more debt for each
  // connection. HAProxy's Lua state otherwise lets its heap grow to twice
  // what is live before a cycle begins, and that garbage, held by malloc, is
  // much of what an idle connection seems to cost (bench/cost.mjs, idle KiB
  // a connection without / with: 6.3 / 5.5 on HAProxy 2.6, 6.0 / 5.5 on 3.4,
  // for ~4,000 / ~7,000 instructions). Not `step 0` (one basic step): ~4,600
  // instructions on Lua 5.3 but ~230,000 on 5.4, whose basic step is large.
  collectgarbage('step', 8);
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
