// Where nginx's `hash KEY consistent` (stream and http upstreams) puts a key,
// emulated from the documented algorithm of ngx_stream_upstream_hash_module.c
// (written from reading it; no code copied). Checked against the real nginx:
// test/cli-where.test.mjs and bench/affinity.mjs.

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

const utf8 = (s) => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s);

/**
 * nginx's ring: for each server 160 points per unit of weight; point j is
 * crc32(host NUL port prev), prev being point j-1's hash as 4 little-endian
 * bytes (0 for the first). The host and port are the `server` name as
 * written in the config (split at its last colon), not the resolved address:
 * `server 10.0.0.1:5222` and `server 10.0.0.1:5222 weight=1` hash alike, a
 * name that resolves to several addresses gives them all the same points.
 * A key goes to the first point at or after crc32(key), wrapping; points of
 * servers that are down are passed over (nginx walks on to the next point).
 */
export class NginxRing {
  /** servers: the `server` names as written ("10.0.0.1:5222"); weights:
   * one per server (default 1). */
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
    // Sorted by hash; nginx keeps one point per hash value (the first in its
    // sort, which is not stable: equal hashes of two servers are a 1 in 2^32
    // event per pair of points).
    points.sort((a, b) => a.hash - b.hash || a.server - b.server);
    this.points = points.filter((p, i) => i === 0 || p.hash !== points[i - 1].hash);
  }

  /** Index of the server for `key` (a string, hashed as UTF-8, or bytes),
   * skipping servers in `down` (a Set of indexes); -1 when none is left. */
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

/**
 * nginx's `hash KEY` without `consistent` (ngx_stream_upstream_get_hash_peer):
 * h = 0; on try t (0, 1, ...): h += (crc32(t > 0 ? decimal(t) + KEY : KEY) >>> 16) & 0x7fff,
 * and the server is the one holding slot h % total weight (servers laid out
 * in config order, `weight` slots each, down ones included); a server that
 * is down sends it to the next try. After 20 tries nginx falls back to
 * round robin, which is not predictable: -2 then. Adding or removing a
 * server moves most keys (the modulus changes): see `jidroute moves`.
 */
export class NginxHashRing {
  constructor(servers, { weights } = {}) {
    this.servers = servers;
    this.weights = servers.map((_, i) => (weights ? weights[i] : 1));
    this.total = this.weights.reduce((a, b) => a + b, 0);
  }

  place(key, down) {
    const k = utf8(key);
    if (this.servers.length < 2 || !k.length) return this.servers.length === 1 && !(down && down.has(0)) ? 0 : -2;
    let h = 0;
    for (let t = 0; t <= 20; t++) {
      const bytes = t > 0 ? Buffer.concat([Buffer.from(String(t)), k]) : k;
      h += (crc32(bytes) >>> 16) & 0x7fff;
      let w = h % this.total;
      let p = 0;
      while (w >= this.weights[p]) { w -= this.weights[p]; p++; }
      if (!down || !down.has(p)) return p;
    }
    return -2;
  }
}
