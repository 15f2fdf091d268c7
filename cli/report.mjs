// jidroute report: what the proxy did, from its access logs. Streams every
// file (plain or .gz) line by line, so the size of a log does not matter.
import { createReadStream, statSync } from 'node:fs';
import { createGunzip } from 'node:zlib';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseOptions } from './args.mjs';
import { InputError, UsageError } from './errors.mjs';
import { logFormats } from './log-formats.mjs';
import { table, count, pct } from './table.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

export const HELP = `jidroute report LOG... [options]

Reads access logs of nginx or HAProxy running jidroute, in the formats of the
example configs (njs/*.conf log_format with escape=none, haproxy/*.cfg
log-format with the hex converter) or of the configs given with --config, and
prints: connections by route_by and by stream (how much jidroute could route
by the JID, and why the rest fell back to the address), the spread over the
backends, the hottest keys, and co-location: accounts and tenant domains seen
on more than one backend, with the likely cause per account.

  LOG               an access log (nginx), HAProxy's log output, .gz too;
                    - for standard input
  --config FILE     also read the log formats of this nginx.conf/haproxy.cfg
  --top N           how many hot keys and split accounts to list (default 10)
  --json            one JSON document
  --no-progress     no progress line (shown on a terminal only)

Lines HAProxy writes about itself ([NOTICE], [WARNING], [ALERT]; "Server
B/S is DOWN" and the like through a raw log target) are counted
and skipped; any other line that is not of a known format stops the report:
exit status 2 with the file and line.`;

const SPEC = { config: 'list', top: 'number', json: 'flag', 'no-progress': 'flag', help: 'flag' };

// And the events HAProxy sends through the log target itself (`log global`,
// format raw: no level prefix): health-check state changes, proxies started
// or stopped on a reload.
const PROXY_MESSAGE = /^(\[(NOTICE|WARNING|ALERT|INFO|DEBUG)\]|Server \S+\/\S+ (is|was) |Health check for (backup )?server \S+\/\S+ |backend \S+ has no server available!|Proxy \S+ (started|stopped|paused|resumed)|Stopping (frontend|backend|proxy) \S+ in \d|Pausing (frontend|backend|proxy) )/;
// A syslog header before the message: "<134>Dec  1 20:00:00 host haproxy[12]: ".
const SYSLOG = /^(?:<\d+>\d? ?)?(?:[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d|\d{4}-\d\d-\d\dT\S+) \S+ [^\s:[]+(?:\[\d+\])?: /;

const inc = (obj, k, n = 1) => { obj[k] = (obj[k] || 0) + n; };
// A string kept for the whole run (a Map key): a copy, not a slice that keeps
// the whole log line it was cut from alive.
const flat = (s) => (s.length > 12 ? Buffer.from(s, 'utf8').toString('utf8') : s);

/** An account's figures from its compact record. */
function expand(raw) {
  const a = { connections: raw.n, byRoute: {}, backends: {}, routeBackends: raw.rb, addresses: raw.addrs };
  for (const [r, m] of Object.entries(raw.rb)) for (const [b, c] of Object.entries(m)) { inc(a.backends, b, c); inc(a.byRoute, r, c); }
  return a;
}
const ip = (client) => client || '';

class Tally {
  constructor() {
    this.lines = 0;
    this.connections = 0;
    this.skipped = 0;
    this.byRoute = {};
    this.byStream = {};
    this.fallback = {}; // stream -> connections routed by address
    this.backends = new Map(); // label -> { connections, byRoute }
    this.keys = new Map(); // key -> { connections, by, backends: {} }
    this.accounts = new Map(); // bare JID -> { connections, byRoute, backends: {}, addresses: Set }
    this.tenants = new Map(); // domain (domain-policy key) -> { connections, backends: {} }
    this.noFrom = new Map(); // client address -> { backend: connections } (client streams routed by address, no from)
    this.retried = 0;
    this.noBackend = 0;
    this.first = undefined;
    this.last = undefined;
    this.proxies = {};
  }

  add(rec, proxy) {
    this.connections++;
    inc(this.proxies, proxy);
    // Unset: the connection closed before jidroute ran (a port probe).
    const by = rec.by || '(unset)';
    const stream = rec.stream || '(unset)';
    inc(this.byRoute, by);
    inc(this.byStream, stream);
    if (by === 'addr') inc(this.fallback, stream);
    if (rec.time) { if (this.first === undefined) this.first = rec.time; this.last = rec.time; }
    // nginx lists every server it tried: "a, b" (and " : " across upstream groups).
    let backend = rec.backend || '';
    if (/, | : /.test(backend)) {
      this.retried++;
      backend = backend.split(/, | : /).pop();
    }
    if (!backend) { this.noBackend++; backend = '(none)'; }
    let b = this.backends.get(backend);
    if (!b) this.backends.set(backend, (b = { connections: 0, byRoute: {} }));
    b.connections++;
    inc(b.byRoute, by);
    const key = rec.key || '';
    let k = this.keys.get(key);
    if (!k) this.keys.set(flat(key), (k = { connections: 0, by, backends: {} }));
    k.connections++;
    inc(k.backends, backend);
    if (stream !== 'client') return;
    const from = rec.from || '';
    if (from.includes('@')) {
      let a = this.accounts.get(from);
      // Compact: there may be millions. rb: route -> backend -> connections.
      if (!a) this.accounts.set(flat(from), (a = { n: 0, rb: {}, addrs: [] }));
      a.n++;
      const rb = a.rb[by] || (a.rb[by] = {});
      inc(rb, backend);
      if (rec.client && a.addrs.length < 4 && !a.addrs.includes(rec.client)) a.addrs.push(flat(rec.client));
    } else if (by === 'addr') {
      const addr = ip(rec.client || key);
      let n = this.noFrom.get(addr);
      if (!n) this.noFrom.set(flat(addr), (n = {}));
      inc(n, backend);
    }
    // The domain policy's key: `to` (by=to) or an account's domain (by=from, no '@').
    if (by === 'to' || (by === 'from' && !key.includes('@'))) {
      let t = this.tenants.get(key);
      if (!t) this.tenants.set(flat(key), (t = { connections: 0, backends: {} }));
      t.connections++;
      inc(t.backends, backend);
    }
  }
}

/** Per split account, the likely cause. */
function colocation(t) {
  // Addresses from which exactly one account connected with a from.
  const accountsAt = new Map();
  for (const [jid, a] of t.accounts) for (const addr of a.addrs) accountsAt.set(addr, accountsAt.has(addr) ? null : jid);
  const split = [];
  for (const [jid, raw] of t.accounts) {
    // Most accounts have one route to one backend and no from-less
    // neighbour: nothing to expand.
    const routes0 = Object.keys(raw.rb);
    if (routes0.length === 1 && Object.keys(raw.rb[routes0[0]]).length === 1 && !raw.addrs.some((x) => t.noFrom.has(x))) continue;
    const a = expand(raw);
    const backends = { ...a.backends };
    const causes = [];
    const viaAddress = {};
    for (const addr of a.addresses) {
      const n = t.noFrom.get(addr);
      if (n && accountsAt.get(addr) === jid) for (const [b, c] of Object.entries(n)) inc(viaAddress, b, c);
    }
    for (const [b, c] of Object.entries(viaAddress)) inc(backends, b, 0);
    const names = Object.keys(backends);
    if (names.length < 2) continue;
    const routes = Object.keys(a.byRoute);
    const kinds = [];
    const byAddress = Object.values(viaAddress).reduce((x, y) => x + y, 0);
    if (Object.keys(viaAddress).some((b) => !(b in a.backends))) {
      kinds.push('no-from');
      causes.push(`some devices routed by address: no from before STARTTLS (${byAddress} connection(s) without from, from ${[...a.addresses].filter((x) => t.noFrom.has(x)).join(' ')})`);
    }
    // Backends reached by one route that the account's from-keyed connections did not reach.
    const elsewhere = (route) => Object.keys(a.routeBackends[route] || {}).some((b) => !(b in (a.routeBackends.from || {})));
    if (a.byRoute.addr && elsewhere('addr')) {
      kinds.push('from-ignored');
      causes.push(`${a.byRoute.addr} connection(s) routed by address although from was sent (from not an account of the to domain)`);
    }
    if (a.byRoute.to && elsewhere('to')) {
      kinds.push('both-policies');
      causes.push(`also connected through a domain-policy listener (${a.byRoute.to} keyed on its domain)`);
    }
    const fromBackends = Object.keys(a.routeBackends.from || {}).length;
    if (fromBackends > 1) {
      kinds.push('ring-changed');
      causes.push('one key on several backends: the servers changed in the window (added, removed, down, reweighted, reload) or a connection was redispatched');
    }
    if (!causes.length) { kinds.push('other'); causes.push(`routes: ${routes.join(', ')}`); }
    split.push({ account: jid, connections: a.connections + byAddress, connectionsWithFrom: a.connections, backends, causes, kinds });
  }
  split.sort((x, y) => Object.keys(y.backends).length - Object.keys(x.backends).length || y.connections - x.connections || (x.account < y.account ? -1 : 1));
  const tenantsSplit = [];
  for (const [domain, x] of t.tenants) {
    if (Object.keys(x.backends).length > 1) tenantsSplit.push({ domain, connections: x.connections, backends: x.backends, causes: ['the same key on several backends: the servers changed during the window, or a redispatch'] });
  }
  tenantsSplit.sort((x, y) => y.connections - x.connections);
  return { split, tenantsSplit };
}

async function readLog(file, formats, tally, progress) {
  const size = file === '-' ? 0 : statSync(file).size;
  const raw = file === '-' ? process.stdin : createReadStream(file);
  const input = /\.gz$/.test(file) ? raw.pipe(createGunzip()) : raw;
  const rl = createInterface({ input, crlfDelay: Infinity });
  let n = 0;
  let format = formats[0];
  // Line events, handled as they come: an async iterator over readline
  // buffers lines without bound when the file is read faster than handled.
  const handle = (line) => {
    n++;
    tally.lines++;
    if ((n & 0x3fff) === 0 && progress) progress(file, raw.bytesRead || 0, size, tally.lines);
    if (line === '' || PROXY_MESSAGE.test(line)) { if (line) tally.skipped++; return; }
    let rec = format.parse(line);
    if (!rec) {
      const stripped = line.replace(SYSLOG, '');
      for (const f of [format, ...formats]) {
        rec = f.parse(stripped);
        if (rec) { format = f; break; }
      }
    }
    if (!rec) {
      const shown = line.length > 80 ? line.slice(0, 77) + '...' : line;
      throw new InputError(file, n, `not a jidroute access-log line (known formats: ${formats.map((f) => f.label).join('; ')}): ${shown}`);
    }
    tally.add(rec, format.proxy);
  };
  await new Promise((resolve, reject) => {
    let failed;
    rl.on('line', (line) => {
      if (failed) return;
      try {
        handle(line);
      } catch (e) {
        failed = e;
        rl.close();
        raw.destroy();
      }
    });
    rl.on('close', () => (failed ? reject(failed) : resolve()));
    input.on('error', (e) => { failed = failed || new InputError(file, 0, `cannot read: ${e.code || e.message}`); rl.close(); });
  });
}

export async function report(argv, out, err = process.stderr) {
  const { options, positional } = parseOptions(argv, SPEC);
  if (options.help) return out.write(HELP + '\n');
  if (!positional.length) throw new UsageError('report needs a log file (or - for standard input)');
  const top = options.top ?? 10;
  const formats = logFormats(options.config || [], ROOT);
  if (!formats.length) throw new UsageError('no usable log format found (give --config FILE)');
  const tally = new Tally();
  const tty = !options['no-progress'] && err.isTTY;
  let shownAt = 0;
  const progress = tty ? (file, bytes, size, lines) => {
    const now = Date.now();
    if (now - shownAt < 250) return;
    shownAt = now;
    const mb = (x) => (x / 1048576).toFixed(0);
    err.write(`\r${file}: ${mb(bytes)} of ${mb(size)} MB (${pct(bytes, size)}), ${count(lines)} lines `);
  } : null;
  for (const file of positional) {
    if (file !== '-') {
      try { statSync(file); } catch (e) { throw new InputError(file, 0, `cannot read: ${e.code || e.message}`); }
    }
    await readLog(file, formats, tally, progress);
  }
  if (tty) err.write('\r\x1b[K');
  const { split, tenantsSplit } = colocation(tally);
  const t = tally;
  const keys = [...t.keys.entries()].sort((a, b) => b[1].connections - a[1].connections).slice(0, top);
  let multiAccounts = 0;
  for (const a of t.accounts.values()) if (a.n > 1) multiAccounts++;
  const tenants = [...t.tenants.values()].filter((x) => x.connections > 1).length;
  const result = {
    files: positional, lines: t.lines, connections: t.connections, proxyMessagesSkipped: t.skipped,
    proxies: t.proxies, window: { first: t.first, last: t.last },
    byRouteBy: t.byRoute, byStream: t.byStream, fellBackToAddress: t.fallback,
    retried: t.retried, withoutBackend: t.noBackend,
    backends: Object.fromEntries([...t.backends.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1))),
    hottestKeys: keys.map(([key, k]) => ({ key, routeBy: k.by, connections: k.connections, backends: k.backends })),
    colocation: {
      accounts: t.accounts.size, accountsWithSeveralConnections: multiAccounts, accountsSplit: split.length,
      causes: split.reduce((o, a) => { for (const k of a.kinds) inc(o, k); return o; }, {}),
      splitAccounts: split.slice(0, options.json ? undefined : top),
      tenantDomains: t.tenants.size, tenantDomainsWithSeveralConnections: tenants, tenantDomainsSplit: tenantsSplit.length, splitTenantDomains: tenantsSplit.slice(0, options.json ? undefined : top),
      clientConnectionsWithoutFrom: [...t.noFrom.values()].reduce((s, n) => s + Object.values(n).reduce((a, b) => a + b, 0), 0),
    },
  };
  if (options.json) {
    out.write(JSON.stringify(result, null, 2) + '\n');
    return;
  }
  out.write(text(result, top) + '\n');
}

function text(r, top) {
  const c = r.connections;
  const lines = [];
  lines.push(`${count(r.connections)} connections in ${count(r.lines)} lines of ${r.files.length} file(s)` +
    (r.proxyMessagesSkipped ? ` (${count(r.proxyMessagesSkipped)} proxy messages skipped)` : '') +
    (r.window.first ? `, ${r.window.first} to ${r.window.last}` : ''));
  const byJid = (r.byRouteBy.from || 0) + (r.byRouteBy.to || 0) + (r.byRouteBy.sni || 0);
  lines.push(`routed by the JID (from or to) or the SNI name (Direct TLS passed through): ${count(byJid)} (${pct(byJid, c)}); by the client address: ${count(r.byRouteBy.addr || 0)} (${pct(r.byRouteBy.addr || 0, c)})`);
  lines.push('');
  const sorted = (o) => Object.entries(o).sort((a, b) => b[1] - a[1]);
  lines.push(table(['route_by', 'connections', 'share'], sorted(r.byRouteBy).map(([k, v]) => [k, count(v), pct(v, c)]), { right: [1, 2] }));
  lines.push('');
  lines.push(table(['stream', 'connections', 'share', 'routed by address'], sorted(r.byStream).map(([k, v]) => [k, count(v), pct(v, c), count(r.fellBackToAddress[k] || 0)]), { right: [1, 2, 3] }));
  lines.push('');
  const routes = Object.keys(r.byRouteBy).sort();
  const backends = Object.entries(r.backends);
  const mean = backends.length ? c / backends.length : 0;
  lines.push(table(['backend', 'connections', 'share', ...routes.map((x) => `by ${x}`)],
    backends.map(([b, x]) => [b, count(x.connections), pct(x.connections, c), ...routes.map((k) => count(x.byRoute[k] || 0))]), { right: [1, 2, ...routes.map((_, i) => i + 3)] }));
  if (backends.length > 1) lines.push(`busiest backend / mean: ${(Math.max(...backends.map(([, x]) => x.connections)) / mean).toFixed(2)}`);
  if (r.retried) lines.push(`${count(r.retried)} connections tried more than one server (the last one counted)`);
  lines.push('');
  lines.push(`hottest keys (top ${top})`);
  lines.push(table(['key', 'route_by', 'connections', 'share', 'backends'], r.hottestKeys.map((k) => [k.key || '(empty)', k.routeBy, count(k.connections), pct(k.connections, c), Object.keys(k.backends).join(' ')]), { right: [2, 3] }));
  lines.push('');
  const co = r.colocation;
  lines.push(`co-location: ${count(co.accountsSplit)} of ${count(co.accounts)} accounts seen on more than one backend` +
    ` (${count(co.accountsWithSeveralConnections)} with more than one connection); ` +
    `${count(co.tenantDomainsSplit)} of ${count(co.tenantDomains)} tenant domains (domain policy)`);
  if (co.clientConnectionsWithoutFrom) lines.push(`${count(co.clientConnectionsWithoutFrom)} client connections sent no from and were routed by address (their accounts are known only by address)`);
  const CAUSES = { 'no-from': 'devices routed by address (no from before STARTTLS)', 'from-ignored': 'from ignored (not an account of to)',
    'both-policies': 'through listeners of both policies', 'ring-changed': 'servers changed or redispatch', other: 'other' };
  if (co.accountsSplit) lines.push('likely causes: ' + Object.entries(co.causes).sort((a, b) => b[1] - a[1]).map(([k, n]) => `${CAUSES[k] || k}: ${count(n)}`).join('; '));
  if (co.splitAccounts.length) {
    lines.push(table(['account', 'connections', 'backends', 'likely cause'], co.splitAccounts.map((a) => [a.account, count(a.connections), Object.entries(a.backends).map(([b, n]) => (n ? `${b} (${n})` : `${b} (by address)`)).join(' '), a.causes.join('; ')]), { right: [1] }));
  }
  if (co.splitTenantDomains.length) {
    lines.push('');
    lines.push(table(['tenant domain', 'connections', 'backends', 'likely cause'], co.splitTenantDomains.map((x) => [x.domain, count(x.connections), Object.entries(x.backends).map(([b, n]) => `${b} (${n})`).join(' '), x.causes.join('; ')]), { right: [1] }));
  }
  return lines.join('\n');
}
