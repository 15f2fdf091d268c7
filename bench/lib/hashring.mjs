// The rings now live in the product (cli/ring-nginx.mjs, cli/ring-haproxy.mjs,
// used by the jidroute command); the simulation imports them from there.
import { NginxRing } from '../../cli/ring-nginx.mjs';
import { HaproxyRing } from '../../cli/ring-haproxy.mjs';

export { NginxRing, crc32 } from '../../cli/ring-nginx.mjs';
export { HaproxyRing, sdbm, fullHash, ipv4Number } from '../../cli/ring-haproxy.mjs';

/** A placement function per proxy for N servers: (key, kind) -> index, where
 * kind is 'addr' (the client address) or 'key' (jidroute's key). */
export function placer(proxy, n, { down, nginxServer = (i) => `10.0.0.${i + 1}:5222`, haproxyKeyMode } = {}) {
  if (proxy === 'nginx') {
    const ring = new NginxRing(Array.from({ length: n }, (_, i) => nginxServer(i)));
    return (key) => ring.place(key, down);
  }
  const ring = new HaproxyRing(n, { keyMode: haproxyKeyMode });
  return (key, kind) => (kind === 'addr' ? ring.placeSource(key, down) : ring.place(key, down));
}
