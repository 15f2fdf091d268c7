// Where nginx and HAProxy put a key, emulated from their documented
// algorithms (written from reading ngx_stream_upstream_hash_module.c and
// HAProxy's lb_chash.c / backend.c / hash.c; no code copied), so that the
// affinity simulation places connections as the real proxies would.
// bench/affinity.mjs checks these against the real proxies on a sample.

// ---- hash functions ----

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, reflected) of bytes, as nginx's ngx_crc32_long. */
export function crc32(bytes) {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** sdbm, HAProxy's default hash function for `balance hash` (hash-type ... sdbm). */
export function sdbm(bytes) {
  let h = 0;
  for (let i = 0; i < bytes.length; i++) h = (bytes[i] + (h << 6) + (h << 16) - h) >>> 0;
  return h;
}

/** Bob Jenkins' 32-bit integer avalanche, then a multiplication by a large
 * prime, as HAProxy's full_hash(). */
export function fullHash(a) {
  a = a >>> 0;
  a = (a + 0x7ed55d16 + (a << 12)) >>> 0;
  a = (a ^ 0xc761c23c ^ (a >>> 19)) >>> 0;
  a = (a + 0x165667b1 + (a << 5)) >>> 0;
  a = ((a + 0xd3a2646c) ^ (a << 9)) >>> 0;
  a = (a + 0xfd7046c5 + (a << 3)) >>> 0;
  a = (a ^ 0xb55a4f09 ^ (a >>> 16)) >>> 0;
  return Math.imul(a, 3221225473) >>> 0;
}

const utf8 = (s) => Buffer.from(s, 'utf8');

/** The 32-bit number HAProxy's `balance source` hashes for an IPv4 address:
 * the address itself (before the avalanche modifier). */
export function ipv4Number(address) {
  const p = address.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

// ---- nginx: hash $key consistent ----

/**
 * nginx's ring: for each server 160 points per unit of weight; point j is
 * crc32(host NUL port prev), prev being point j-1's hash as 4 little-endian
 * bytes (0 for the first). A key goes to the first point at or after
 * crc32(key), wrapping; points of servers that are down are passed over.
 */
export class NginxRing {
  /** servers: the `server` names as written ("10.0.0.1:5222"). */
  constructor(servers, { weights } = {}) {
    this.servers = servers;
    const points = [];
    servers.forEach((name, s) => {
      const colon = name.lastIndexOf(':');
      const port = colon >= 0 && /^\d+$/.test(name.slice(colon + 1)) ? name.slice(colon + 1) : '';
      const host = port ? name.slice(0, colon) : name;
      const base = Buffer.concat([utf8(host), Buffer.from([0]), utf8(port)]);
      const buf = Buffer.alloc(base.length + 4);
      base.copy(buf);
      let prev = 0;
      const n = 160 * (weights ? weights[s] : 1);
      for (let j = 0; j < n; j++) {
        buf.writeUInt32LE(prev, base.length);
        const hash = crc32(buf);
        points.push({ hash, server: s });
        prev = hash;
      }
    });
    points.sort((a, b) => a.hash - b.hash);
    // nginx keeps one point per hash value.
    this.points = points.filter((p, i) => i === 0 || p.hash !== points[i - 1].hash);
  }

  /** Index of the server for `key` (a string, hashed as UTF-8), skipping
   * servers in `down` (a Set of indexes). */
  place(key, down) {
    const hash = crc32(utf8(key));
    const pts = this.points;
    let lo = 0;
    let hi = pts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pts[mid].hash < hash) lo = mid + 1;
      else hi = mid;
    }
    for (let k = 0; k < pts.length; k++) {
      const p = pts[(lo + k) % pts.length];
      if (!down || !down.has(p.server)) return p.server;
    }
    return -1;
  }
}

// ---- HAProxy: hash-type consistent ----

/**
 * HAProxy's ring: 16 nodes per unit of weight (BE_WEIGHT_SCALE), node i of
 * the server with id `puid` at fullHash(puid * 4096 + i) (SRV_EWGHT_RANGE,
 * `hash-key id`, the default). HAProxy 3.0.0 to 3.0.x, before the fix
 * "BUG/MAJOR: lb-chash: fix key calculation when using default hash-key id"
 * (October 2025), put it at fullHash(fullHash(puid) + i): `keyMode: '3.0-unfixed'`.
 * A hash goes to the nearer of the nodes just before and just after it
 * (the one before on a tie). Servers are numbered 1.. in config order.
 * `hash-type consistent` with no function named means sdbm *and* the
 * avalanche modifier (fullHash of the key's hash): `avalanche: true`.
 */
export class HaproxyRing {
  constructor(count, { weights, keyMode = 'id', avalanche = true } = {}) {
    this.count = count;
    this.avalanche = avalanche;
    const nodes = [];
    for (let s = 0; s < count; s++) {
      const puid = s + 1;
      const n = 16 * (weights ? weights[s] : 1);
      for (let i = 0; i < n; i++) {
        const key = keyMode === '3.0-unfixed' ? fullHash((fullHash(puid) + i) >>> 0) : fullHash((puid * 4096 + i) >>> 0);
        nodes.push({ key, server: s });
      }
    }
    nodes.sort((a, b) => a.key - b.key);
    this.nodes = nodes;
  }

  /** Index of the server for the 32-bit `hash`, without servers in `down`. */
  placeHash(hash, down) {
    const nodes = down ? this.nodes.filter((n) => !down.has(n.server)) : this.nodes;
    if (!nodes.length) return -1;
    let lo = 0;
    let hi = nodes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (nodes[mid].key < hash) lo = mid + 1;
      else hi = mid;
    }
    const next = nodes[lo % nodes.length];
    const prev = nodes[(lo + nodes.length - 1) % nodes.length];
    if (next.server === prev.server) return next.server;
    const dp = (hash - prev.key) >>> 0;
    const dn = (next.key - hash) >>> 0;
    return dp <= dn ? prev.server : next.server;
  }

  /** `balance hash var(...)` with the default sdbm function. */
  place(key, down) {
    const h = sdbm(utf8(key));
    return this.placeHash(this.avalanche ? fullHash(h) : h, down);
  }

  /** `balance source` for an IPv4 client. */
  placeSource(address, down) {
    const h = ipv4Number(address);
    return this.placeHash(this.avalanche ? fullHash(h) : h, down);
  }
}

/** A placement function per proxy for N servers: (key, kind) -> index, where
 * kind is 'addr' (the client address) or 'key' (jidroute's key). */
export function placer(proxy, n, { down, nginxServer = (i) => `10.0.0.${i + 1}:5222`, haproxyKeyMode } = {}) {
  if (proxy === 'nginx') {
    const ring = new NginxRing(Array.from({ length: n }, (_, i) => nginxServer(i)));
    return (key) => ring.place(key, down);
  }
  const ring = new HaproxyRing(n, { keyMode: haproxyKeyMode });
  if (down) ring.nodes = ring.nodes.filter((node) => !down.has(node.server)); // down: out of the tree
  return (key, kind) => (kind === 'addr' ? ring.placeSource(key) : ring.place(key));
}
