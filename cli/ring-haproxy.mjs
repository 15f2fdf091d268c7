// Where HAProxy's `balance hash ...` with `hash-type consistent` (and
// `balance source`) puts a key, emulated from the algorithms of lb_chash.c,
// backend.c and hash.c (written from reading them; no code copied). Checked
// against the real HAProxy: test/cli-where.test.mjs and bench/affinity.mjs.

/** sdbm, HAProxy's default hash function. */
export function sdbm(bytes) {
  let h = 0;
  for (let i = 0; i < bytes.length; i++) h = (bytes[i] + (h << 6) + (h << 16) - h) >>> 0;
  return h;
}

/** djb2 (`hash-type ... djb2`). */
export function djb2(bytes) {
  let h = 5381;
  for (let i = 0; i < bytes.length; i++) h = (((h << 5) >>> 0) + h + bytes[i]) >>> 0;
  return h;
}

/** wt6 (`hash-type ... wt6`), Willy Tarreau's 6-step hash. */
export function wt6(bytes) {
  let h0 = 0xa53c965a;
  let h1 = 0x5ca6953a;
  let step0 = 6;
  let step1 = 18;
  const rotl = (x, n) => ((x << n) | (x >>> (32 - n))) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    h0 = ~(h0 ^ b) >>> 0;
    h1 = ~((h1 + b) >>> 0) >>> 0;
    // A shift by 32 in C on a 32-bit value is what (x >> 32) gives on x86:
    // x itself; JavaScript masks the count the same way.
    const t0 = step0 === 0 ? h1 : rotl(h1, step0);
    h1 = step1 === 0 ? h0 : rotl(h0, step1);
    h0 = t0;
    const t = ((h0 >>> 16) ^ h1) & 0xffff;
    step0 = t & 0x1f;
    step1 = t >>> 11;
  }
  return (h0 ^ h1) >>> 0;
}

let CRC_TABLE;
/** CRC-32 (`hash-type ... crc32`): the IEEE one, as nginx's. */
export function crc32(bytes) {
  if (!CRC_TABLE) {
    CRC_TABLE = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      CRC_TABLE[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export const HASH_FUNCTIONS = { sdbm, djb2, wt6, crc32 };

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

/** The 32-bit number HAProxy's `balance source` hashes for an IPv4 client:
 * the address itself, most significant octet first. */
export function ipv4Number(address) {
  const p = address.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

// ---- the ring formula: which HAProxy versions build which ring ----

/** `full_hash(id * 4096 + i)` (SRV_EWGHT_RANGE = 4096): HAProxy up to 2.9, and
 * again from the fix "BUG/MAJOR: lb-chash: fix key calculation when using
 * default hash-key id" (3.3-dev10, October 2025, backported to the stable
 * branches after). */
export const FORMULA_ID = 'id';
/** `full_hash(full_hash(id) + i)`: HAProxy 3.0.0 ("MEDIUM: lb-chash:
 * Deterministic node hashes based on server address", 3.0-dev7) until that
 * fix reached the branch. Seen on Debian 13's 3.0.11. */
export const FORMULA_ID_3_0 = '3.0-unfixed';

/**
 * The formula a version builds its ring with for `hash-key id` (the default).
 * The fix's backports to 3.0, 3.1 and 3.2 came in patch releases this table
 * cannot know without their change logs: a version listed in FIXED_FROM is
 * known fixed from that patch on (checked against the real HAProxy), any
 * other 3.0-3.2 version is taken as unfixed. `version`: "2.6", "3.0.11", ...
 * Returns { formula, why }.
 */
export const FIXED_FROM = { '3.2': 26 };
export function formulaFor(version) {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(String(version));
  if (!m) throw new Error(`not a HAProxy version: ${version}`);
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), m[3] === undefined ? undefined : Number(m[3])];
  if (major < 3) return { formula: FORMULA_ID, why: 'before 3.0: full_hash(id*4096+i)' };
  if (major > 3 || minor >= 3) return { formula: FORMULA_ID, why: '3.3 and later: full_hash(id*4096+i)' };
  const fixed = FIXED_FROM[`${major}.${minor}`];
  if (fixed !== undefined && patch !== undefined && patch >= fixed) {
    return { formula: FORMULA_ID, why: `${major}.${minor}.${fixed} and later carry the hash-key id fix: full_hash(id*4096+i)` };
  }
  return { formula: FORMULA_ID_3_0, why: `${major}.${minor}${patch === undefined ? '' : '.' + patch} before the hash-key id fix: full_hash(full_hash(id)+i)` };
}

/** A server's base key in the ring (lb_server_key): per `hash-key`. */
function serverKey(server, formula) {
  const hashKey = server.hashKey || 'id';
  if (hashKey === 'addr' || hashKey === 'addr-port') {
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(server.host || '')) throw new Error(`hash-key ${hashKey} is emulated for IPv4 server addresses only`);
    // s_addr in network order, read as a host-order (little-endian) u32.
    const p = server.host.split('.').map(Number);
    const sAddr = (p[0] | (p[1] << 8) | (p[2] << 16) | (p[3] << 24)) >>> 0;
    const base = hashKey === 'addr-port' ? fullHash(Number(server.port) || 0) : 0;
    return fullHash((base + sAddr) >>> 0);
  }
  if (hashKey === 'id32') {
    const id = server.id >>> 0;
    const be = (((id & 0xff) << 24) | ((id & 0xff00) << 8) | ((id >>> 8) & 0xff00) | (id >>> 24)) >>> 0;
    return fullHash(be);
  }
  if (hashKey !== 'id') throw new Error(`hash-key ${hashKey} is not emulated`);
  return formula === FORMULA_ID_3_0 ? fullHash(server.id) : (server.id * 4096) >>> 0;
}

/**
 * HAProxy's consistent-hash ring: each server has 16 nodes per unit of
 * weight (BE_WEIGHT_SCALE), node i at full_hash(serverKey + i); a hash goes to
 * the nearer of the nodes just before and just after it (the one before on a
 * tie). Active servers and backup servers are two trees: the backup tree (or,
 * without `option allbackups`, the first backup alone) is used only when no
 * active server is up. `hash-type consistent` with no function named means
 * sdbm *and* the avalanche modifier (full_hash of the key's hash).
 *
 * servers: [{ id, weight = 1, down, backup, hashKey, host, port }], `id` the
 * server's id (1, 2, ... in config order unless `id` is set).
 */
export class HaproxyRing {
  constructor(servers, { formula, keyMode, hashFunction = 'sdbm', avalanche = true, allBackups = false } = {}) {
    // keyMode: the name bench/affinity.mjs uses for the formula.
    formula = formula || keyMode || FORMULA_ID;
    if (typeof servers === 'number') servers = Array.from({ length: servers }, (_, i) => ({ id: i + 1 }));
    this.servers = servers;
    this.formula = formula;
    this.hash = HASH_FUNCTIONS[hashFunction];
    if (!this.hash) throw new Error(`hash function ${hashFunction} is not emulated`);
    this.avalanche = avalanche;
    this.allBackups = allBackups;
    const tree = (backup) => {
      const nodes = [];
      servers.forEach((s, index) => {
        if (Boolean(s.backup) !== backup) return;
        const base = serverKey(s, formula);
        const n = 16 * (s.weight === undefined ? 1 : s.weight);
        for (let i = 0; i < n; i++) nodes.push({ key: fullHash((base + i) >>> 0), server: index });
      });
      return nodes.sort((a, b) => a.key - b.key || a.server - b.server);
    };
    this.active = tree(false);
    this.backup = tree(true);
  }

  /** The nodes a lookup uses: active servers that are up, else backups. */
  nodesFor(down) {
    const up = (n) => !(down && down.has(n.server)) && !this.servers[n.server].down;
    const active = this.active.filter(up);
    if (active.length) return active;
    if (!this.allBackups) {
      // The first backup server that is up and has weight takes everything.
      const first = this.servers.findIndex((s, i) => s.backup && !s.down && !(down && down.has(i)) && (s.weight === undefined || s.weight > 0));
      return first < 0 ? [] : [{ key: 0, server: first }];
    }
    return this.backup.filter(up);
  }

  /** Index of the server for the 32-bit `hash`; -1 when none is up. */
  placeHash(hash, down) {
    const nodes = this.nodesFor(down);
    if (!nodes.length) return -1;
    if (nodes.length === 1) return nodes[0].server;
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

  /** The hash `balance hash var(...)` computes for a string key. */
  keyHash(key) {
    const h = this.hash(typeof key === 'string' ? Buffer.from(key, 'utf8') : key);
    return this.avalanche ? fullHash(h) : h;
  }

  /** `balance hash var(...)`: the key as UTF-8 bytes. */
  place(key, down) {
    return this.placeHash(this.keyHash(key), down);
  }

  /** `balance source` for an IPv4 client. */
  placeSource(address, down) {
    const h = ipv4Number(address);
    return this.placeHash(this.avalanche ? fullHash(h) : h, down);
  }
}
