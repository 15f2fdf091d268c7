// The child process of xmpp-clients.mjs: real xmpp.js (@xmpp/client 0.14)
// clients, driven over the IPC channel. It runs in a process of its own
// because Node reads NODE_EXTRA_CA_CERTS (the test CA the clients verify the
// servers with) only at start-up, and xmpp.js's STARTTLS gives tls.connect
// nothing but { host: domain } — no way to hand it a CA otherwise.
//
// Two small overrides, both on the client instance, and nothing else changed:
// - socketParameters: adds `localAddress` (each device connects from its own
//   127.0.0.N, so that address hashing is not flattered by one source
//   address) and, for Direct TLS, `servername` (the certificate is checked
//   against the XMPP domain, not the proxy's address) and ALPN when asked.
// - header (only when `fromInFirstHeader`): puts `from` (the bare JID) in
//   every stream header, the first plaintext one included, as Smack, Dino and
//   most IoT firmware do. xmpp.js itself adds `from` only once the stream is
//   secure (RFC 6120 §4.7.1, https://xmpp.org/rfcs/rfc6120.html#streams-attr-from).
import { client, xml } from '@xmpp/client';

const devices = new Map(); // id -> { id, xmpp, jid, received: [], bounced: [] }
const events = [];

function setup(d) {
  const xmpp = client({
    service: d.service,
    domain: d.domain,
    username: d.username,
    password: d.password,
    resource: d.resource,
    // Per step (connect, TLS, SASL...): SCRAM in xmpp.js takes seconds of CPU
    // per login, so several at once on a loaded machine need more than 5 s.
    timeout: d.stepTimeoutMs ?? 5000,
  });
  // A reconnect could land a device elsewhere and blur what the test measures.
  xmpp.reconnect.stop();
  const transportParameters = xmpp.socketParameters.bind(xmpp);
  xmpp.socketParameters = (service) => {
    const p = transportParameters(service);
    if (!p) return p;
    if (d.localAddress) p.localAddress = d.localAddress;
    if (service.startsWith('xmpps:')) {
      p.servername = d.domain;
      if (d.alpn) p.ALPNProtocols = [d.alpn];
    }
    return p;
  };
  if (d.fromInFirstHeader) {
    const header = xmpp.header.bind(xmpp);
    xmpp.header = (el, ...args) => {
      el.attrs.from = `${d.username}@${d.domain}`;
      return header(el, ...args);
    };
  }
  const dev = { id: d.id, xmpp, jid: null, received: [], bounced: [], presence: null, errors: [] };
  xmpp.on('error', (err) => dev.errors.push(String(err?.message ?? err)));
  // The local port identifies the session in the proxy's log.
  xmpp.on('connect', () => { dev.localPort ??= xmpp.socket?.localPort ?? xmpp.socket?.socket?.localPort; });
  xmpp.on('stanza', (stanza) => {
    if (stanza.is('message')) {
      // The token is the body and the id: an error reply keeps the id
      // (RFC 6120 §8.3.1), not necessarily the body.
      if (stanza.attrs.type === 'error') {
        const condition = stanza.getChild('error')?.children.find((c) => typeof c === 'object')?.name ?? null;
        dev.bounced.push({ token: stanza.attrs.id, condition });
      } else dev.received.push(stanza.getChildText('body'));
    } else if (stanza.is('presence') && dev.jid && stanza.attrs.from === dev.jid && !stanza.attrs.type) {
      dev.presence?.();
    }
  });
  devices.set(d.id, dev);
  return dev;
}

const withTimeout = (promise, ms, what) => Promise.race([
  promise,
  new Promise((_, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms).unref()),
]);

async function connect(d) {
  const dev = setup(d);
  try {
    const echoed = new Promise((resolve) => { dev.presence = resolve; });
    const address = await withTimeout(dev.xmpp.start(), d.timeoutMs ?? 10000, 'connect');
    dev.jid = address.toString();
    // Prosody echoes a device's initial presence back to it: once it is
    // here, the server routes messages for this resource to it.
    await dev.xmpp.send(xml('presence'));
    await withTimeout(echoed, 5000, 'presence echo');
    const socket = dev.xmpp.socket?.socket;
    return { id: d.id, ok: true, jid: dev.jid, localPort: dev.localPort, alpn: socket?.alpnProtocol || null };
  } catch (e) {
    return { id: d.id, ok: false, localPort: dev.localPort, error: String(e?.message ?? e), errors: dev.errors };
  }
}

/** Sends each message ({ from: id, to: full JID, token }) and waits until
 * each has arrived or bounced, or `waitMs` passed. */
async function send(messages, waitMs) {
  for (const m of messages) {
    const dev = devices.get(m.from);
    if (!dev?.jid) continue;
    // A device whose stream has ended (e.g. replaced by a session with the
    // same full JID) cannot send; that message is reported as not delivered.
    try {
      await dev.xmpp.send(xml('message', { to: m.to, type: 'chat', id: m.token }, xml('body', {}, m.token)));
    } catch (e) {
      dev.errors.push(`send ${m.token}: ${e?.message ?? e}`);
    }
  }
  const arrived = (m) => [...devices.values()].some((d) => d.jid === m.to && d.received.includes(m.token));
  const bounced = (m) => devices.get(m.from)?.bounced.some((b) => b.token === m.token);
  const anywhere = (m) => [...devices.values()].some((d) => d.received.includes(m.token));
  const until = Date.now() + waitMs;
  while (Date.now() < until && !messages.every((m) => anywhere(m) || bounced(m))) {
    await new Promise((r) => setTimeout(r, 25));
  }
  const bare = (jid) => jid?.split('/')[0];
  return messages.map((m) => ({
    ...m,
    delivered: arrived(m),
    // A message for a resource that is not on the sender's server goes to the
    // account's other resources there, if any (RFC 6121 §8.5.3.2.1,
    // https://www.rfc-editor.org/rfc/rfc6121#section-8.5.3.2.1).
    elsewhere: [...devices.values()].filter((d) => d.jid !== m.to && bare(d.jid) === bare(m.to) && d.received.includes(m.token)).map((d) => d.jid),
    bounced: devices.get(m.from)?.bounced.find((b) => b.token === m.token)?.condition ?? null,
  }));
}

async function stopAll() {
  await Promise.all([...devices.values()].map((d) => withTimeout(d.xmpp.stop(), 3000, 'stop').catch(() => {})));
  devices.clear();
}

process.on('message', async (msg) => {
  let result;
  try {
    if (msg.cmd === 'connect') result = await Promise.all(msg.devices.map(connect));
    else if (msg.cmd === 'send') result = await send(msg.messages, msg.waitMs ?? 5000);
    else if (msg.cmd === 'received') result = Object.fromEntries([...devices.values()].map((d) => [d.id, d.received]));
    else if (msg.cmd === 'disconnect') result = await stopAll();
    else if (msg.cmd === 'exit') { await stopAll(); process.exit(0); }
    process.send({ seq: msg.seq, result });
  } catch (e) {
    process.send({ seq: msg.seq, error: String(e?.stack ?? e) });
  }
});
process.on('disconnect', () => process.exit(0));
// xmpp.js leaves some socket errors in promises nobody can await (a known
// kind of bug: https://github.com/xmppjs/xmpp.js/issues/961, /issues/878).
// One such (read ECONNRESET, once in CI) ended this process and with it
// every device of the test. It is written to stderr instead; whatever it
// cost a device shows in that device's own outcome (connected, delivered).
process.on('unhandledRejection', (e) => {
  process.stderr.write(`# xmpp client: a rejection xmpp.js left unhandled: ${String(e?.stack ?? e).split('\n').join('\n# ')}\n`);
});
// Bounded: a child whose parent forgot it does not outlive the run.
setTimeout(() => process.exit(3), Number(process.env.JIDROUTE_CLIENT_LIFETIME_MS ?? 300000)).unref();
process.send({ ready: true });
