// Runs the Node build of core/ the way the adapters do: one router per
// connection, fed the whole buffer so far after every piece.
import * as core from '../dist/core.mjs';

export { core };

/** Feeds `bytes` (byte string) in pieces that end at `cuts`; returns the route
 * as the adapters publish it, and at which length it was decided. */
export function routeInPieces(bytes, cuts, { policy = 'bare', limit, address = '127.0.0.1' } = {}) {
  const router = core.newRouter(policy, limit);
  let decidedAt = -1;
  for (const cut of [...cuts, bytes.length]) {
    if (core.feedRouter(router, bytes.substring(0, cut))) { decidedAt = cut; break; }
  }
  const r = core.currentRoute(router, address);
  return { key: r.key, route_by: r.routeBy, from: r.from, to: r.to, stream: r.stream, decidedAt };
}

export function route(bytes, options) {
  return routeInPieces(bytes, [], options);
}
