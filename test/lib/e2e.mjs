// The end-to-end stack shared by test/e2e-*.test.mjs and scripts/demo.mjs:
// a proxy (nginx or HAProxy) running one of the example configs, three real
// Prosody servers (not clustered) behind it, and real xmpp.js clients, each
// device from a loopback address of its own. What landed where is read from
// the servers' own logs and from the proxy's log; what arrived is what the
// clients received.
import { readFileSync } from 'node:fs';
import { startStack } from '../../harness/stack.mjs';
import { parseLog, againWhileDropped } from '../../harness/proxies.mjs';
import { startProsody, prosodyLogs } from './prosody.mjs';
import { makePki } from './pki.mjs';
import { startClients } from './xmpp-clients.mjs';
import { waitFor, freePort } from '../../harness/procs.mjs';

export const DOMAINS = ['capulet.example', 'montague.example'];
export const PASSWORD = 'not-a-secret';

/** The example configs' three servers, with the listeners `kinds` of
 * 'c2s' (5301-5303), 'directTls' (5311-5313) and 's2s' (5401-5403). */
export function exampleServers(...kinds) {
  const base = { c2s: 5301, directTls: 5311, s2s: 5401 };
  return [0, 1, 2].map((i) => Object.fromEntries([['name', `server-${i + 1}`], ...kinds.map((k) => [k, base[k] + i])]));
}

/** The test CA and one certificate for all served domains (servers and
 * proxies alike, as an operator with one certificate per cluster would). */
export function makeStackPki(extra = {}) {
  const pki = makePki({ xmpp: [...DOMAINS], ...extra });
  return { ...pki, server: { dir: pki.dir, ca: pki.ca, ...pki.certs.xmpp } };
}

/** What an e2e test file shares: the PKI, `perDomain` x `devices` accounts
 * (makeAccounts) and the xmpp.js clients, closed at the end of test `t`. */
export async function xmppClients(t, perDomain, devices) {
  const pki = makeStackPki();
  const accounts = makeAccounts(perDomain, devices);
  const clients = await startClients({ ca: pki.ca });
  t.teardown(() => clients.close());
  return { pki, accounts, clients };
}

/** `perDomain` accounts in each domain, each with `devices` resources. */
export function makeAccounts(perDomain, devices, names = ['juliet', 'romeo', 'nurse', 'tybalt', 'mercutio', 'benvolio']) {
  const out = [];
  for (const domain of DOMAINS) {
    for (let i = 0; i < perDomain; i++) {
      const user = `${names[i % names.length]}${i >= names.length ? i : ''}`;
      out.push({ user, domain, password: PASSWORD, jid: `${user}@${domain}`,
        resources: Array.from({ length: devices }, (_, d) => ['phone', 'laptop', 'tablet', 'watch', 'car'][d] ?? `device${d}`) });
    }
  }
  return out;
}

/** Paths the example configs use for certificates, mapped to the test's. */
export function certificatePaths(pki) {
  return {
    '/etc/jidroute/tls/xmpp.crt': pki.certs.xmpp.cert,
    '/etc/jidroute/tls/xmpp.key': pki.certs.xmpp.key,
    '/etc/jidroute/tls/xmpp.pem': pki.certs.xmpp.pem,
    '/etc/jidroute/tls/backend-ca.pem': pki.ca,
  };
}

export const mapPaths = (paths) => (text) => Object.entries(paths).reduce((t, [from, to]) => t.split(from).join(to), text);

/**
 * Starts Prosody servers and a proxy with `configFile` (nginx or haproxy),
 * with `edit` applied to the config text after its ports moved (e.g. a
 * round-robin variant). `servers`: [{ name, c2s, directTls, s2s }] with the
 * example config's ports; `prosody`: more options for startProsody (root,
 * disableSasl, extra). Returns { proxy, prosody, serverOf(upstream),
 * clientLog(), logs(), stop() }.
 */
export async function startXmppStack({ kind, configFile, edit = (s) => s, pki, accounts, servers, staticSrv, startServers, prosody: prosodyOptions = {} }) {
  const stack = await startStack({
    kind, config: configFile, edit: (text) => edit(mapPaths(certificatePaths(pki))(text)), settleMs: 100,
    // startServers(real): other XMPP servers than Prosody (ejabberd), as
    // { servers: [{ name, conf, log() }], stop() }.
    servers: async (real, prepared) => (startServers ? startServers(real) : startProsody({
      servers: servers.map((s) => ({ name: s.name, ports: { c2s: real(s.c2s), directTls: real(s.directTls), s2s: real(s.s2s) } })),
      domains: DOMAINS, accounts, pki: pki.server,
      staticSrv: typeof staticSrv === 'function' ? await staticSrv(prepared) : staticSrv,
      ...prosodyOptions,
    })),
  });
  const { proxy, prepared, real, servers: prosody } = stack;
  // Upstream as the proxy logs it -> server name. nginx logs the address it
  // connected to; HAProxy logs backend/server, and the config's server line
  // gives that server's address.
  const byPort = new Map();
  for (const s of servers) for (const p of [s.c2s, s.directTls, s.s2s]) if (p) byPort.set(real(p), s.name);
  const serverOf = upstreamResolver(kind, readFileSync(prepared.conf, 'utf8'), byPort);
  return {
    kind, proxy, prosody, prepared, serverOf,
    /** Finished sessions in the proxy's log: client "addr:port" -> { key, routeBy, server }. */
    clientLog() {
      const text = proxy.log();
      const entries = parseLog(kind, text);
      for (const line of text.split('\n')) {
        const m = /^(\S+) \[.*?(?:upstream|backend)=(\S+)/.exec(line);
        if (m && entries.has(m[1])) entries.get(m[1]).server = serverOf(m[2]);
      }
      return entries;
    },
    logs: () => `----- ${kind} (${prepared.conf})\n${proxy.log()}\n${kind === 'nginx' ? proxy.errors() : ''}\n${prosodyLogs(prosody.servers)}`,
    stop: stack.stop,
  };
}

/**
 * Upstream as a proxy logs it -> server name. nginx logs the address it
 * connected to; HAProxy logs backend/server, and the config's server line
 * gives that server's address. `byPort`: Map(real port -> server name).
 */
export function upstreamResolver(kind, confText, byPort) {
  const haproxyServers = new Map();
  if (kind === 'haproxy') {
    let backend = null;
    for (const line of confText.split('\n')) {
      const b = /^backend\s+(\S+)/.exec(line);
      if (b) backend = b[1];
      const m = /^\s*server\s+(\S+)\s+127\.0\.0\.1:(\d+)/.exec(line);
      if (m && backend) haproxyServers.set(`${backend}/${m[1]}`, byPort.get(Number(m[2])));
    }
  }
  return (upstream) => (kind === 'nginx'
    ? byPort.get(Number(/:(\d+)$/.exec(upstream ?? '')?.[1]))
    : haproxyServers.get(upstream)) ?? null;
}

/** A free port that is none of `taken` (ports chosen but not bound yet). */
export async function freePortBesides(taken) {
  for (;;) {
    const p = await freePort();
    if (!taken.has(p)) { taken.add(p); return p; }
  }
}

/** One xmpp.js device per resource of each account. */
export function devicesFor(accounts, { service, nextAddress, fromInFirstHeader = false, alpn, tag = '' }) {
  return accounts.flatMap((a) => a.resources.map((resource) => ({
    id: `${tag}${a.jid}/${resource}`, account: a.jid, domain: a.domain, service,
    username: a.user, password: a.password, resource, localAddress: nextAddress(), fromInFirstHeader, alpn,
  })));
}

/** Messages along a ring over `group`'s devices, one per device. */
function ring(devices, connected, token) {
  const jid = new Map(connected.map((c) => [c.id, c.jid]));
  return devices.map((d, i) => ({ from: d.id, to: jid.get(devices[(i + 1) % devices.length].id), token: `${token}-${i}` }));
}

/** Each device writes to the next device of its own account. */
export function accountMessages(devices, connected, token = 'acct') {
  const groups = group(devices, (d) => d.account);
  return [...groups.values()].flatMap((g, i) => ring(g, connected, `${token}${i}`));
}

/** Each device writes to a device of another account of its own domain
 * (devices interleaved by account, so that neighbours differ). */
export function tenantMessages(devices, connected, token = 'tenant') {
  const groups = group(devices, (d) => d.domain);
  return [...groups.values()].flatMap((g, i) => {
    const byAccount = [...group(g, (d) => d.account).values()];
    const interleaved = [];
    for (let k = 0; k < Math.max(...byAccount.map((a) => a.length)); k++) for (const a of byAccount) if (a[k]) interleaved.push(a[k]);
    return ring(interleaved, connected, `${token}${i}`);
  });
}

function group(items, key) {
  const m = new Map();
  for (const it of items) { const k = key(it); if (!m.has(k)) m.set(k, []); m.get(k).push(it); }
  return m;
}

/**
 * Connects `devices` through the stack, sends `messages(devices, connected)`,
 * disconnects, and reads where each device landed. Returns { connected,
 * results, devices: [{ ...device, server, routeBy, key }], placement:
 * { account or domain: [servers] }, fromServers: { account: { server: n } },
 * attempts }: the whole run again, at most `tries` times in all, while
 * HAProxy counted as dropped during it at least as many lines as are missing.
 */
export async function runTraffic(stack, clients, devices, messages, { waitMs = 4000, tries = 3 } = {}) {
  // HAProxy may drop a log line when sessions end together (harness/proxies.mjs
  // droppedLogs): the run goes again then.
  const { result, attempts } = await againWhileDropped(stack.proxy, () => trafficOnce(stack, clients, devices, messages, waitMs),
    (run) => run.devices.filter((d) => d.connected && !d.server).length, { tries });
  return { ...result, attempts };
}

async function trafficOnce(stack, clients, devices, messages, waitMs) {
  const before = stack.prosody.servers.map((s) => s.authenticated().length);
  const connected = await clients.connect(devices);
  const ok = connected.filter((c) => c.ok);
  const sent = messages(devices.filter((d) => ok.some((c) => c.id === d.id)), ok);
  const results = sent.length ? await clients.send(sent, waitMs) : [];
  await clients.disconnect();
  // Where each session went, by the proxy's log (written when it ends).
  const localPort = new Map(connected.map((c) => [c.id, c.localPort]));
  const clientKey = (d) => `${d.localAddress}:${localPort.get(d.id)}`;
  let log = new Map();
  try {
    await waitFor(() => { log = stack.clientLog(); return ok.every((c) => log.has(clientKey(devices.find((d) => d.id === c.id)))); },
      { timeoutMs: 10000, what: 'a proxy log line per session' });
  } catch { /* reported below as devices without a server */ }
  const placed = devices.map((d) => ({ ...d, ...(log.get(clientKey(d)) ?? {}), connected: ok.some((c) => c.id === d.id) }));
  // Where each account authenticated, by the servers' own logs.
  const fromServers = {};
  stack.prosody.servers.forEach((s, i) => {
    for (const jid of s.authenticated().slice(before[i])) {
      fromServers[jid] ??= {};
      fromServers[jid][s.name] = (fromServers[jid][s.name] ?? 0) + 1;
    }
  });
  return { connected, results, devices: placed, fromServers };
}

/** Servers each group (by `key` of a device) landed on, from the proxy log. */
export function spread(devices, key) {
  const out = {};
  for (const d of devices) (out[key(d)] ??= new Set()).add(d.server);
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v].sort()]));
}

/** Per account, how many sessions each server saw, from the proxy log. */
export function proxyCounts(devices) {
  const out = {};
  for (const d of devices) {
    if (!d.connected) continue;
    out[d.account] ??= {};
    out[d.account][d.server] = (out[d.account][d.server] ?? 0) + 1;
  }
  return out;
}

/** The messages whose sender and recipient sat on the same server. */
export function expectedDeliveries(results, devices) {
  const server = new Map(devices.map((d) => [d.id, d.server]));
  const byJid = new Map(devices.map((d) => [`${d.account}/${d.resource}`, d.server]));
  return results.filter((r) => server.get(r.from) && server.get(r.from) === byJid.get(r.to));
}

