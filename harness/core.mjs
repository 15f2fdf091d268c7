// Runs the Node build of core/ the way the adapters do: one router per
// connection, fed the whole buffer so far after every piece. Its Lua twin is
// route() in harness/route.lua.
import * as core from '../dist/core.mjs';

export { core };

/** Feeds `bytes` (byte string) in pieces that end at `cuts`; returns the route
 * as the adapters publish it, at which length it was decided, and whether
 * the recogniser decided (`recogniser`: core.FULL_READER_JS for the full
 * reader alone). */
export function routeInPieces(bytes, cuts, { policy = 'bare', limit, address = '127.0.0.1', recogniser } = {}) {
  const router = core.newRouter(policy, limit, recogniser);
  let decidedAt = -1;
  for (let i = 0; i <= cuts.length; i++) {
    const cut = i < cuts.length ? cuts[i] : bytes.length;
    if (core.feedRouter(router, bytes.substring(0, cut))) { decidedAt = cut; break; }
  }
  const r = core.currentRoute(router, address);
  return { key: r.key, routeBy: r.routeBy, from: r.from, to: r.to, stream: r.stream, decidedAt, took: core.recognised(router) };
}

export function route(bytes, options) {
  return routeInPieces(bytes, [], options);
}
