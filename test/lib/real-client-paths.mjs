// The example paths of both proxies, read from the example configs
// themselves (so that a new example listener is tested without editing the
// test), and one run of real clients over one path: what each device sent,
// where it landed, which SASL mechanism it used, what arrived.
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, parseLog, againWhileDropped } from '../../harness/proxies.mjs';
import { startStack } from '../../harness/stack.mjs';
import { certificatePaths, mapPaths, upstreamResolver, exampleServers } from './e2e.mjs';
import { waitForPort, waitFor, sleep, readIfExists } from '../../harness/procs.mjs';
import { startRelay, readCapture, CLIENTS } from './real-clients.mjs';

/** The example servers: their c2s (STARTTLS) and Direct TLS ports. */
export const SERVERS = exampleServers('c2s', 'directTls');

/** Example configs, in the order their paths are tested; a later file's
 * path that an earlier file of the same proxy already has (the Direct TLS
 * example's 5222) is not run twice. Passthrough examples only if present. */
export const CONFIGS = [
  ['nginx', 'njs/nginx.conf'], ['nginx', 'njs/nginx-directtls.conf'], ['nginx', 'njs/nginx-passthrough.conf'],
  ['haproxy', 'haproxy/haproxy.cfg'], ['haproxy', 'haproxy/haproxy-directtls.cfg'], ['haproxy', 'haproxy/haproxy-passthrough.cfg'],
];

/** Listeners of one example config: [{ port, ssl, policy, upstreamPorts }]. */
function listeners(kind, text) {
  const out = [];
  if (kind === 'nginx') {
    const upstreams = new Map([...text.matchAll(/upstream\s+(\S+)\s*\{([^}]*)\}/g)]
      .map((m) => [m[1], [...m[2].matchAll(/server\s+127\.0\.0\.1:(\d+)/g)].map((s) => Number(s[1]))]));
    for (const m of text.matchAll(/\n\s*server\s*\{([^}]*)\}/g)) {
      const body = m[1].split('\n').map((l) => l.replace(/#.*/, '')).join('\n');
      const listen = /^\s*listen\s+(\d+)([^;]*);/m.exec(body);
      const pass = /^\s*proxy_pass\s+(\S+);/m.exec(body);
      if (!listen || !pass) continue;
      out.push({ port: Number(listen[1]), ssl: /\bssl\b/.test(listen[2]),
        policy: /^\s*js_preread\s+jidroute\.domain;|^\s*set\s+\$xmpp_policy\s+domain;/m.test(body) ? 'domain' : 'bare', upstreamPorts: upstreams.get(pass[1]) ?? [] });
    }
  } else {
    const sections = text.split(/\n(?=(?:frontend|backend|listen|global|defaults)\b)/);
    const backends = new Map();
    for (const s of sections) {
      const b = /^backend\s+(\S+)/.exec(s);
      if (b) backends.set(b[1], [...s.matchAll(/^\s*server\s+\S+\s+127\.0\.0\.1:(\d+)/gm)].map((x) => Number(x[1])));
    }
    for (const s of sections) {
      if (!/^frontend\s/.test(s)) continue;
      const body = s.split('\n').map((l) => l.replace(/#.*/, '')).join('\n');
      const fallback = /^\s*default_backend\s+(\S+)/m.exec(body);
      const policy = /lua\.jidroute_domain\b|set-var\(sess\.xmpp_policy\)\s+str\(domain\)/.test(body) ? 'domain' : 'bare';
      // Each bind, with the backend its connections go to: `use_backend X if
      // { ssl_fc }` for a TLS bind, `{ so_name N }` for a named one, else the
      // default_backend.
      for (const bind of body.matchAll(/^\s*bind\s+:(\d+)(.*)$/gm)) {
        const ssl = /\bssl\b/.test(bind[2]);
        const name = /\bname\s+(\S+)/.exec(bind[2]);
        const byName = name && new RegExp(`^\\s*use_backend\\s+(\\S+)\\s+if\\s+\\{\\s*so_name\\s+${name[1]}\\s*\\}`, 'm').exec(body);
        const byTls = ssl && /^\s*use_backend\s+(\S+)\s+if\s+\{\s*ssl_fc\s*\}/m.exec(body);
        const backend = byName || byTls || fallback;
        if (!backend) continue;
        out.push({ port: Number(bind[1]), ssl, policy, upstreamPorts: backends.get(backend[1]) ?? [] });
      }
    }
  }
  return out;
}

/**
 * Every c2s path of the example configs present: [{ id, kind, config, port
 * (example listener), transport: 'starttls' (passed through) | 'terminate'
 * (Direct TLS terminated at the proxy) | 'passthrough' (Direct TLS passed
 * through), policy, client: 'starttls' | 'directtls' (what the client
 * speaks) }].
 */
export function examplePaths() {
  examplePaths.skipped = [];
  const c2s = new Set(SERVERS.map((s) => s.c2s));
  const tls = new Set(SERVERS.map((s) => s.directTls));
  const seen = new Set();
  const paths = [];
  for (const [kind, config] of CONFIGS) {
    if (!existsSync(join(ROOT, config))) continue;
    for (const l of listeners(kind, readFileSync(join(ROOT, config), 'utf8'))) {
      if (!l.upstreamPorts.length) continue;
      let transport;
      if (l.ssl && l.upstreamPorts.every((p) => tls.has(p))) transport = 'terminate';
      else if (!l.ssl && l.upstreamPorts.every((p) => tls.has(p))) transport = 'passthrough';
      else if (!l.ssl && l.upstreamPorts.every((p) => c2s.has(p))) transport = 'starttls';
      else {
        // s2s (5269), or a listener whose servers are not the example's.
        if (!l.upstreamPorts.some((p) => p >= 5401 && p <= 5403)) examplePaths.skipped.push(`${config} ${l.port}`);
        continue;
      }
      const key = `${kind}/${transport}/${l.policy}`;
      if (seen.has(key)) continue;
      seen.add(key);
      paths.push({ id: `${kind} ${config.split('/')[1]} ${l.port}`, kind, config, port: l.port, transport, policy: l.policy,
        client: transport === 'starttls' ? 'starttls' : 'directtls' });
    }
  }
  return paths;
}

/** Starts one example config in front of the running Prosody servers (its
 * backend ports pointed at theirs). Returns { proxy, serverOf(upstream) }. */
export async function startExampleProxy(kind, config, prosody, pki) {
  const byPort = new Map();
  let text;
  const stack = await startStack({
    kind, config, edit: mapPaths(certificatePaths(pki)), settleMs: 150,
    servers: async (real, prepared) => {
      text = readFileSync(prepared.conf, 'utf8');
      SERVERS.forEach((s, i) => {
        const ports = prosody.servers[i].ports;
        for (const [example, actual] of [[s.c2s, ports.c2s], [s.directTls, ports.directTls]]) {
          if (real(example)) text = text.split(`127.0.0.1:${real(example)}`).join(`127.0.0.1:${actual}`);
          byPort.set(actual, s.name);
        }
      });
      writeFileSync(prepared.conf, text);
      return { stop: async () => {} };
    },
  });
  return { proxy: stack.proxy, serverOf: upstreamResolver(kind, text, byPort) };
}

/** SASL per Prosody session, from test/prosody/mod_log_sasl.lua's lines. */
export function saslSessions(text) {
  const sessions = new Map();
  for (const m of text.matchAll(/^\S+ \S+ \S+ (\S+)\s+info\s+jidroute-sasl (offered|success|failure|bound) (.*)$/gm)) {
    const [, sid, what, rest] = m;
    if (!sessions.has(sid)) sessions.set(sid, { sid, offered: null, attempts: [], user: null, bound: null });
    const s = sessions.get(sid);
    if (what === 'offered') s.offered ??= rest.split(' ');
    else if (what === 'bound') s.bound = rest;
    else if (what === 'success') { const [mech, user] = rest.split(' '); s.attempts.push({ mech, ok: true }); s.user = user; }
    else { const [mech, ...why] = rest.split(' '); s.attempts.push({ mech, ok: false, why: why.join(' ') }); }
  }
  return [...sessions.values()];
}

/** The devices of one client: two of account a, one of account b, each
 * from its own loopback address. */
export function clientDevices(name, domain, password, nextAddress) {
  const slug = name.replace(/[^a-z]/g, '');
  const a = `${slug}-a`;
  const b = `${slug}-b`;
  return [
    { id: `${name}:a1`, client: name, user: a, resource: 'phone' },
    { id: `${name}:a2`, client: name, user: a, resource: 'laptop' },
    { id: `${name}:b1`, client: name, user: b, resource: 'phone' },
  ].map((d) => ({ ...d, domain, password, account: `${d.user}@${domain}`, jid: `${d.user}@${domain}/${d.resource}`, localAddress: nextAddress() }));
}

/** The messages of one client's devices: a1 <-> a2 (own account), a1 <-> b1. */
function plan(devices) {
  const [a1, a2, b1] = devices;
  return [[a1, a2], [a2, a1], [a1, b1], [b1, a1]].map(([from, to], i) => ({ from: from.id, to: to.id, token: `t${i}-${from.id.replace(/\W/g, '')}-${Math.random().toString(36).slice(2, 8)}` }));
}

const withTimeout = (promise, ms, value) => {
  let timer;
  return Promise.race([promise, new Promise((r) => { timer = setTimeout(() => r(value), ms); })]).finally(() => clearTimeout(timer));
};

/**
 * One path: every client's devices connect (through the proxy, or straight
 * to server-1 when `target` is given), write their messages, disconnect.
 * Returns { devices: [{ ...device, ok, error, jid, capture, log, server }],
 * messages: [{ from, to, token, delivered, coLocated }], sessions, output }.
 */
export async function runPath({ clients, target, proxy, serverOf, prosody, pki, nextAddress, domain, password, client: transport }) {
  // Prosody's own log file only (log() appends its stdout, which would shift offsets).
  const serverLog = (s) => readIfExists(join(s.dir, 'prosody.log'));
  const before = prosody.servers.map((s) => serverLog(s).length);
  const devices = clients.flatMap((name) => clientDevices(name, domain, password, nextAddress))
    .map((d) => ({ ...d, transport }));
  const relays = await Promise.all(devices.map((d) => startRelay({ port: target, localAddress: d.localAddress })));
  devices.forEach((d, i) => { d.port = relays[i].port; d.relay = relays[i]; });
  const byClient = new Map(clients.map((n) => [n, devices.filter((d) => d.client === n)]));
  for (const group of byClient.values()) {
    // For clients that send each line to fixed recipients (bare JIDs): a1
    // to its own account (a2) and to b; a2 and b1 to a.
    const [a1, a2, b1] = group;
    a1.recipients = [a1.account, b1.account];
    a2.recipients = [a1.account];
    b1.recipients = [a1.account];
  }
  const timing = { start: Date.now() };
  const drivers = new Map([...byClient].map(([name, group]) => [name, CLIENTS[name].start(group, { ca: pki.ca })]));
  const readyAt = {};
  for (const [name, dr] of drivers) dr.ready.then(() => { readyAt[name] = Date.now() - timing.start; });
  const readyAll = Object.assign({}, ...(await Promise.all([...drivers.values()].map((dr) => withTimeout(dr.ready, 60000, {})))));
  for (const d of devices) Object.assign(d, { ok: !!readyAll[d.id]?.ok, jid: readyAll[d.id]?.jid ?? null, error: readyAll[d.id]?.error ?? (readyAll[d.id] ? null : 'not ready within 60 s') });
  timing.ready = Date.now();
  await sleep(300); // the last presence echo may precede the server's bookkeeping by a moment
  const byId = new Map(devices.map((d) => [d.id, d]));
  const messages = [];
  for (const [name, group] of byClient) {
    const c = CLIENTS[name];
    const driver = drivers.get(name);
    if (c.fullJids) {
      for (const m of plan(group)) {
        const to = byId.get(m.to);
        if (!byId.get(m.from).ok || !to.ok) continue;
        driver.send(m.from, to.jid, m.token);
        messages.push({ ...m, checked: c.receives });
      }
    } else {
      // One line from a device goes to all of its recipients (bare JIDs).
      for (const d of group.filter((x) => x.ok)) {
        const token = `line-${d.id.replace(/\W/g, '')}-${Math.random().toString(36).slice(2, 8)}`;
        driver.send(d.id, null, token);
        for (const m of plan(group).filter((x) => x.from === d.id && byId.get(x.to).ok)) messages.push({ ...m, token, checked: c.receives });
      }
    }
    await driver.flush?.(50);
  }
  // Where each device is, by the servers' own logs (the bound full JID):
  // wait (bounded) for the messages between co-located devices, then a
  // little longer for any that should not arrive.
  const boundOn = () => {
    const m = new Map();
    prosody.servers.forEach((s, i) => { for (const x of saslSessions(serverLog(s).slice(before[i]))) if (x.bound) m.set(x.bound, s.name); });
    return m;
  };
  const receivedNow = async () => Object.assign({}, ...(await Promise.all([...drivers.values()].map((dr) => dr.received()))));
  let received = {};
  const until = Date.now() + 8000;
  while (Date.now() < until) {
    const where = boundOn();
    received = await receivedNow();
    const expected = messages.filter((m) => m.checked && where.get(byId.get(m.from).jid) && where.get(byId.get(m.from).jid) === where.get(byId.get(m.to).jid));
    if (expected.every((m) => (received[m.to] ?? []).includes(m.token))) break;
    await sleep(200);
  }
  timing.sent = Date.now();
  await sleep(700);
  received = await receivedNow();
  const output = Object.fromEntries([...drivers].map(([name, dr]) => [name, dr.output()]));
  await Promise.all([...drivers.values()].map((dr) => dr.stop()));
  await Promise.all(relays.map((r) => r.close()));
  timing.stopped = Date.now();
  for (const d of devices) {
    const conn = d.relay.connections[0];
    d.capture = conn ? readCapture(conn.first) : {};
    d.client_port = conn ? `${d.localAddress}:${conn.localPort}` : null;
    delete d.relay;
  }
  // Where each device landed: the proxy's log (written when a session ends).
  if (proxy) {
    let log = new Map();
    await waitFor(() => { log = parseLogWithUpstream(proxy); return devices.filter((d) => d.client_port).every((d) => log.has(d.client_port)); },
      { timeoutMs: 10000, what: 'a proxy log line per device' }).catch(() => {});
    for (const d of devices) {
      d.log = log.get(d.client_port) ?? null;
      d.server = d.log ? serverOf(d.log.upstream) : null;
    }
  } else for (const d of devices) d.server = 'server-1';
  // Let Prosody write the last lines.
  await sleep(200);
  const sessions = [];
  prosody.servers.forEach((s, i) => {
    for (const x of saslSessions(serverLog(s).slice(before[i]))) sessions.push({ ...x, server: s.name });
  });
  const where = new Map(sessions.filter((x) => x.bound).map((x) => [x.bound, x.server]));
  for (const d of devices) d.boundOn = d.jid ? where.get(d.jid) ?? null : null;
  for (const m of messages) {
    m.delivered = (received[m.to] ?? []).includes(m.token);
    m.coLocated = byId.get(m.from).server !== null && byId.get(m.from).server === byId.get(m.to).server;
  }
  timing.end = Date.now();
  const ms = (a, b) => timing[b] - timing[a];
  return { devices, messages, sessions, output, timing: `ready ${ms('start', 'ready')} ms (${Object.entries(readyAt).map(([n, v]) => `${n} ${v}`).join(', ')}), messages ${ms('ready', 'sent')} ms, stop ${ms('sent', 'stopped')} ms, logs ${ms('stopped', 'end')} ms` };
}

/** runPath through a proxy, done again (at most `tries` times in all) while
 * HAProxy counted as dropped during it at least as many lines as there are
 * devices without one: it may drop a line when sessions end together
 * (harness/proxies.mjs droppedLogs). */
export async function runPathLogged(options, tries = 3) {
  const { result, attempts } = await againWhileDropped(options.proxy, () => runPath(options),
    (run) => run.devices.filter((d) => d.client_port && !d.log).length, { tries });
  return { ...result, attempts };
}

function parseLogWithUpstream(proxy) {
  const text = proxy.log();
  const entries = parseLog(proxy.kind, text);
  for (const line of text.split('\n')) {
    const m = /^(\S+) \[.*?(?:upstream|backend)=(\S+)(?:.*? tls=(\S+))?/.exec(line);
    if (m && entries.has(m[1])) Object.assign(entries.get(m[1]), { upstream: m[2], tls: m[3] ?? null });
  }
  return entries;
}

/** Replaces the text between the two marker comments of `file`. */
export function writeBetweenMarkers(file, name, body) {
  const begin = `<!-- ${name}:begin (written by the test run: do not edit by hand) -->`;
  const end = `<!-- ${name}:end -->`;
  let text = readFileSync(file, 'utf8');
  const i = text.indexOf(begin);
  const j = text.indexOf(end);
  const block = `${begin}\n${body.trim()}\n${end}`;
  if (i >= 0 && j > i) text = text.slice(0, i) + block + text.slice(j + end.length);
  else text = `${text.trimEnd()}\n\n${block}\n`;
  writeFileSync(file, text);
}
