// Real XMPP clients that nobody here wrote, for test/real-clients.test.mjs:
// go-sendxmpp, sendxmpp (Perl Net::XMPP), libstrophe, slixmpp and aioxmpp
// from Debian, xmpp.js from npm. Each device connects through a relay of its
// own (below) and does what the client does by itself: its own stream
// headers, TLS, SASL mechanism choice and bind. The drivers only log in,
// send and receive messages.
//
// The relay: a byte-for-byte TCP pipe in this process, one per device, that
// the client connects to (127.0.0.1, a port of its own) and that connects on
// from 127.0.0.N (the device's own source address; none of these clients can
// bind one) to the proxy or server. It records the first bytes the client
// sent: the stream header before STARTTLS, or the TLS ClientHello (SNI,
// ALPN) of Direct TLS. It changes nothing.
import net from 'node:net';
import { spawn, execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../harness/proxies.mjs';
import { startClients, xmppjsVersion } from './xmpp-clients.mjs';
import { tempDir, sleep, onLines } from '../../harness/procs.mjs';

const PYTHON = '/usr/bin/python3'; // Debian's, where python3-slixmpp and python3-aioxmpp live

/** A relay for one device: { port, connections: [{ localAddress, localPort, first }], close() }. */
export function startRelay({ host = '127.0.0.1', port, localAddress }) {
  const connections = [];
  const sockets = new Set();
  const server = net.createServer((client) => {
    const entry = { localAddress, localPort: null, first: Buffer.alloc(0) };
    connections.push(entry);
    const upstream = net.connect({ host, port, localAddress });
    for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); }
    upstream.on('connect', () => { entry.localPort = upstream.localPort; });
    client.on('data', (chunk) => {
      if (entry.first.length < 4096) entry.first = Buffer.concat([entry.first, chunk]).subarray(0, 4096);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => client.write(chunk));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      connections,
      close: () => new Promise((r) => { for (const s of sockets) s.destroy(); server.close(() => r()); }),
    }));
  });
}

/** The attributes of the first stream header in `text`, as sent (raw). */
function headerAttributes(text) {
  const m = /<(?:[A-Za-z_][\w.-]*:)?stream\b([^>]*)>/.exec(text);
  if (!m) return null;
  const attrs = {};
  for (const a of m[1].matchAll(/([\w:.-]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/g)) attrs[a[1]] = a[2] ?? a[3];
  return attrs;
}

/** SNI and ALPN of a TLS ClientHello (RFC 8446 §4.1.2, RFC 6066 §3,
 * RFC 7301 §3.1), read from the first record; null fields when absent. */
export function clientHello(buf) {
  if (buf.length < 5 || buf[0] !== 0x16) return null;
  const body = buf.subarray(5, 5 + buf.readUInt16BE(3));
  if (body[0] !== 1) return null;
  let p = 4 + 2 + 32; // handshake header, legacy_version, random
  p += 1 + body[p]; // session id
  p += 2 + body.readUInt16BE(p); // cipher suites
  p += 1 + body[p]; // compression methods
  const out = { sni: null, alpn: null };
  if (p + 2 > body.length) return out;
  const end = p + 2 + body.readUInt16BE(p);
  p += 2;
  while (p + 4 <= end && p + 4 <= body.length) {
    const type = body.readUInt16BE(p);
    const len = body.readUInt16BE(p + 2);
    const ext = body.subarray(p + 4, p + 4 + len);
    if (type === 0 && ext.length >= 5) out.sni = ext.subarray(5, 5 + ext.readUInt16BE(3)).toString('latin1');
    if (type === 16) {
      const names = [];
      for (let q = 2; q < ext.length; q += 1 + ext[q]) names.push(ext.subarray(q + 1, q + 1 + ext[q]).toString('latin1'));
      out.alpn = names.join(',');
    }
    p += 4 + len;
  }
  return out;
}

/** What a device's first bytes show: { tls: { sni, alpn } } or { header: { from, to } }. */
export function readCapture(first) {
  const hello = clientHello(first);
  if (hello) return { tls: hello };
  const attrs = headerAttributes(first.toString('utf8'));
  return attrs ? { header: { from: attrs.from ?? null, to: attrs.to ?? null } } : {};
}

// ---- drivers -------------------------------------------------------------
// A driver starts devices ([{ id, jid (account/resource), user, domain,
// password, resource, transport: 'starttls' | 'directtls', port (its relay),
// recipients (bare JIDs, for clients that can only send to fixed ones) }])
// and returns { ready: Promise<{ id: { ok, jid, error } }>, send(fromId, to
// full JID, token), received(): { id: [token] }, stop(), output() }.

/** A process speaking the line protocol of test/clients/*: READY, RECV,
 * BOUNCE, FAIL out; SEND, QUIT in. */
function lineProcess(cmd, args, ids, { prefixSend }) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  const state = Object.fromEntries(ids.map((id) => [id, { ok: false, jid: null, error: null, received: [] }]));
  let out = '';
  let err = '';
  let resolveReady;
  const ready = new Promise((r) => { resolveReady = r; });
  const check = () => { if (ids.every((id) => state[id].ok || state[id].error)) resolveReady(state); };
  child.stdout.on('data', (d) => { out += d; });
  onLines(child.stdout, (line) => {
    const [kind, id, ...rest] = line.split(' ');
    if (!state[id]) return;
    if (kind === 'READY') { state[id].ok = true; state[id].jid = rest[0]; } else if (kind === 'FAIL') state[id].error = rest.join(' ');
    else if (kind === 'RECV') state[id].received.push(rest.slice(1).join(' '));
    check();
  });
  child.stderr.on('data', (d) => { err += d; if (err.length > 4e6) err = err.slice(-2e6); });
  child.stdin.on('error', () => {});
  const exited = new Promise((r) => child.on('exit', (code) => {
    for (const id of ids) if (!state[id].ok && !state[id].error) state[id].error = `exited (${code}) before ready`;
    resolveReady(state);
    r();
  }));
  return {
    ready,
    send(fromId, to, token) { child.stdin.write(`SEND ${prefixSend ? `${fromId} ` : ''}${to} ${token}\n`); },
    received: () => Object.fromEntries(ids.map((id) => [id, state[id].received])),
    async stop() {
      try { child.stdin.write('QUIT\n'); child.stdin.end(); } catch {}
      const timer = setTimeout(() => { try { child.kill('SIGKILL'); } catch {} }, 5000);
      await exited;
      clearTimeout(timer);
    },
    output: () => `${out}\n${err}`,
  };
}

/** Several drivers (one per device, or per group) as one. */
function combine(parts) {
  return {
    ready: Promise.all(parts.map((p) => p.ready)).then((all) => Object.assign({}, ...all)),
    send: (fromId, to, token) => parts.find((p) => p.ids.includes(fromId))?.send(fromId, to, token),
    flush: (waitMs) => Promise.all(parts.map((p) => p.flush?.(waitMs))),
    received: async () => Object.assign({}, ...(await Promise.all(parts.map((p) => p.received())))),
    stop: () => Promise.all(parts.map((p) => p.stop())),
    output: () => parts.map((p) => p.output()).join('\n'),
  };
}

function withIds(driver, ids) { return Object.assign(driver, { ids }); }

/** A client driven by its command line, its debug output read for its
 * bound JID (`readyRe(text)` -> JID once ready) and the bodies it received. */
function debugDevice(cmd, args, id, { env, readyRe, bodyRe = /<body>([^<]*)<\/body>/g, input = true }) {
  const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const state = { ok: false, jid: null, error: null };
  let text = '';
  let resolveReady;
  const ready = new Promise((r) => { resolveReady = r; });
  const onData = (d) => {
    text += d;
    if (text.length > 4e6) text = text.slice(-2e6);
    const jid = state.ok ? null : readyRe(text);
    if (jid) { state.ok = true; state.jid = jid; resolveReady({ [id]: state }); }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  child.stdin.on('error', () => {});
  const exited = new Promise((r) => child.on('exit', (code) => {
    if (!state.ok) { state.error = `exited (${code}) before ready: ${text.slice(-400)}`; resolveReady({ [id]: state }); }
    r();
  }));
  return withIds({
    ready,
    send(fromId, to, token) { if (input) child.stdin.write(`${token}\n`); },
    received: () => ({ [id]: [...text.matchAll(bodyRe)].map((m) => m[1].trim()) }),
    async stop() {
      try { child.stdin.end(); } catch {}
      const timer = setTimeout(() => { try { child.kill('SIGTERM'); } catch {} }, 3000);
      const hard = setTimeout(() => { try { child.kill('SIGKILL'); } catch {} }, 6000);
      await exited;
      clearTimeout(timer);
      clearTimeout(hard);
    },
    output: () => text,
  }, [id]);
}

/** The bound JID, once the server echoed the device's own presence. */
function presenceEcho(text) {
  const jid = /<jid>([^<]+)<\/jid>/.exec(text)?.[1];
  // Attributes come in any order (Prosody serialises them from a hash table).
  return jid && [...text.matchAll(/<presence\b[^>]*>/g)].some((m) => m[0].includes(`from='${jid}'`) || m[0].includes(`from="${jid}"`)) ? jid : null;
}

function debianVersion(pkg) {
  try { return execFileSync('dpkg-query', ['-W', '-f=${Version}', pkg], { encoding: 'utf8' }).replace(/[-+~].*/, ''); } catch { return null; }
}

/** The compiled libstrophe device (test/clients/strophe-device.c), built once per run. */
let stropheBinary = null;
function buildStrophe() {
  if (stropheBinary) return stropheBinary;
  const dir = tempDir('jidroute-strophe-');
  const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'libstrophe'], { encoding: 'utf8' }).trim().split(/\s+/);
  const out = join(dir, 'strophe-device');
  execFileSync('gcc', ['-O1', '-Wall', '-o', out, join(ROOT, 'test/clients/strophe-device.c'), ...flags], { stdio: ['ignore', 'ignore', 'pipe'] });
  stropheBinary = out;
  return out;
}

/** A hashed CA directory, as sendxmpp's -a wants. */
let caDirs = new Map();
function caDir(ca) {
  if (caDirs.has(ca)) return caDirs.get(ca);
  const dir = tempDir('jidroute-cadir-');
  copyFileSync(ca, join(dir, 'ca.pem'));
  execFileSync('openssl', ['rehash', dir], { stdio: 'ignore' });
  caDirs.set(ca, dir);
  return dir;
}

/**
 * The clients: { name: { label, version(), available(), fullJids (whether it
 * can address a device; else it sends each line to fixed bare-JID
 * recipients), receives, start(devices, { ca }) } }.
 */
export const CLIENTS = {
  'go-sendxmpp': {
    label: 'go-sendxmpp', package: 'go-sendxmpp', fullJids: false, receives: true,
    version: () => debianVersion('go-sendxmpp'),
    available: () => existsSync('/usr/bin/go-sendxmpp'),
    // -i sends each stdin line to the recipients and keeps the session; -d
    // prints every stanza received (its bind result gives the JID, which it
    // chooses itself: go-sendxmpp.<random>). It has no resource option.
    start: (devices, { ca }) => combine(devices.map((d) => debugDevice('go-sendxmpp', [
      '-d', '-l', '-i', '-u', `${d.user}@${d.domain}`, '-p', d.password, '-j', `127.0.0.1:${d.port}`,
      ...(d.transport === 'directtls' ? ['-t'] : []), '--timeout', '20', ...d.recipients,
    ], d.id, { env: { SSL_CERT_FILE: ca }, readyRe: presenceEcho }))),
  },
  sendxmpp: {
    label: 'sendxmpp (Perl)', package: 'sendxmpp', fullJids: false, receives: false,
    version: () => debianVersion('sendxmpp'),
    available: () => existsSync('/usr/bin/sendxmpp'),
    // Send-only: -i keeps the session and sends each stdin line; it cannot
    // show what it receives. -o names the XMPP domain (-j is the address).
    start: (devices, { ca }) => combine(devices.map((d) => debugDevice('sendxmpp', [
      '-d', '-i', d.transport === 'directtls' ? '-e' : '-t', '-u', d.user, '-p', d.password,
      '-j', `127.0.0.1:${d.port}`, '-o', d.domain, '-r', d.resource, '-a', caDir(ca), '--message-type', 'chat', ...d.recipients,
    ], d.id, { readyRe: (text) => /<jid>([^<]+)<\/jid>/.exec(text)?.[1], bodyRe: /$^/g }))),
  },
  libstrophe: {
    label: 'libstrophe', package: 'libstrophe-dev', fullJids: true, receives: true,
    version: () => debianVersion('libstrophe0') ?? debianVersion('libstrophe-dev'),
    available: () => existsSync('/usr/include/strophe.h') && spawnSync('pkg-config', ['--exists', 'libstrophe']).status === 0,
    start: (devices, { ca }) => {
      const bin = buildStrophe();
      return combine(devices.map((d) => withIds(lineProcess(bin, [d.id, d.jid, d.password, '127.0.0.1', String(d.port), d.transport, ca],
        [d.id], { prefixSend: false }), [d.id])));
    },
  },
  slixmpp: {
    label: 'slixmpp', package: 'python3-slixmpp', fullJids: true, receives: true,
    version: () => debianVersion('python3-slixmpp'),
    available: () => spawnSync(PYTHON, ['-c', 'import slixmpp']).status === 0,
    start: (devices, { ca }) => pythonDevices('slixmpp-devices.py', devices, ca),
  },
  aioxmpp: {
    label: 'aioxmpp', package: 'python3-aioxmpp', fullJids: true, receives: true,
    version: () => debianVersion('python3-aioxmpp'),
    available: () => spawnSync(PYTHON, ['-c', 'import aioxmpp']).status === 0,
    start: (devices, { ca }) => pythonDevices('aioxmpp-devices.py', devices, ca),
  },
  'xmpp.js': {
    label: 'xmpp.js', package: '@xmpp/client', fullJids: true, receives: true,
    version: () => xmppjsVersion(),
    available: () => existsSync(join(ROOT, 'node_modules/@xmpp/client/package.json')),
    // One child process per device: xmpp.js computes SCRAM's rounds on one
    // event loop, so three devices in one process log in one after another.
    start: (devices, { ca }) => combine(devices.map((d) => xmppjsDevices([d], ca))),
  },
};

function pythonDevices(script, devices, ca) {
  const config = { ca, devices: devices.map((d) => ({ id: d.id, jid: d.jid, password: d.password, host: '127.0.0.1', port: d.port, mode: d.transport })) };
  return combine([withIds(lineProcess(PYTHON, [join(ROOT, 'test/clients', script), JSON.stringify(config)],
    devices.map((d) => d.id), { prefixSend: true }), devices.map((d) => d.id))]);
}

/** xmpp.js through test/lib/xmpp-clients.mjs (the e2e tests' child process). */
function xmppjsDevices(devices, ca) {
  let clients;
  const received = {};
  const ready = (async () => {
    clients = await startClients({ ca });
    const connected = await clients.connect(devices.map((d) => ({
      id: d.id, service: `${d.transport === 'directtls' ? 'xmpps' : 'xmpp'}://127.0.0.1:${d.port}`, domain: d.domain,
      // No ALPN: xmpp.js offers none by itself. The child sets the TLS
      // server name to the domain (it connects to 127.0.0.1 here, where a
      // real deployment gives it a host name, which Node sends as SNI).
      username: d.user, password: d.password, resource: d.resource, timeoutMs: 60000, stepTimeoutMs: 45000,
    })));
    return Object.fromEntries(connected.map((c) => [c.id, { ok: c.ok, jid: c.jid ?? null, error: c.ok ? null : `${c.error} ${JSON.stringify(c.errors ?? [])}` }]));
  })().catch((e) => Object.fromEntries(devices.map((d) => [d.id, { ok: false, error: String(e?.message ?? e) }])));
  const queue = [];
  return {
    ids: devices.map((d) => d.id),
    ready,
    send(fromId, to, token) { queue.push({ from: fromId, to, token }); },
    /** xmpp.js's child sends a batch at once: flush() does that. */
    async flush(waitMs = 50) {
      if (!clients || !queue.length) return;
      await clients.send(queue.splice(0), waitMs);
    },
    async received() {
      if (clients) { try { Object.assign(received, await clients.received()); } catch {} }
      return received;
    },
    async stop() { if (clients) { try { await clients.disconnect(); } catch {} await clients.close(); } },
    output: () => '',
  };
}

/** Client versions as Debian / npm report them. */
export function clientVersions() {
  return Object.fromEntries(Object.entries(CLIENTS).map(([name, c]) => [name, c.available() ? c.version() : null]));
}

export { sleep, readFileSync };
