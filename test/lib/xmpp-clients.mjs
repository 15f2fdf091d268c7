// Real XMPP clients (xmpp.js, @xmpp/client 0.14) for the end-to-end tests and
// the demo. They run in a child process (xmpp-client-child.mjs, which says
// why and documents the two overrides) started with NODE_EXTRA_CA_CERTS set to
// the test CA, so they verify the servers' certificates as real clients do.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../harness/proxies.mjs';

export function xmppjsVersion() {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules/@xmpp/client/package.json'), 'utf8')).version;
  } catch { return 'unknown'; }
}

/**
 * Starts the child. Returns
 *  connect(devices) -> [{ id, ok, jid, alpn, error }]
 *    a device: { id, service ('xmpp://127.0.0.1:PORT' for STARTTLS,
 *    'xmpps://127.0.0.1:PORT' for Direct TLS), domain, username, password,
 *    resource, localAddress, fromInFirstHeader, alpn }
 *  send(messages, waitMs) -> [{ from, to, token, delivered, bounced }]
 *    a message: { from: device id, to: full JID, token: unique body }
 *  disconnect(), close()
 */
export async function startClients({ ca }) {
  const child = fork(join(ROOT, 'test/lib/xmpp-client-child.mjs'), [], {
    cwd: ROOT,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: ca },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let seq = 0;
  const pending = new Map();
  const exited = new Promise((resolve) => child.on('exit', (code) => {
    for (const { reject } of pending.values()) reject(new Error(`xmpp client process exited (${code})`));
    pending.clear();
    resolve();
  }));
  await new Promise((resolve, reject) => {
    child.once('message', (m) => (m.ready ? resolve() : reject(new Error('unexpected first message'))));
    child.once('exit', (code) => reject(new Error(`xmpp client process exited at start (${code})`)));
  });
  child.on('message', (m) => {
    const p = pending.get(m.seq);
    if (!p) return;
    pending.delete(m.seq);
    if (m.error) p.reject(new Error(m.error)); else p.resolve(m.result);
  });
  const call = (cmd, args = {}) => new Promise((resolve, reject) => {
    const n = ++seq;
    pending.set(n, { resolve, reject });
    child.send({ seq: n, cmd, ...args });
  });
  return {
    pid: child.pid,
    connect: (devices) => call('connect', { devices }),
    send: (messages, waitMs = 5000) => call('send', { messages, waitMs }),
    received: () => call('received'),
    disconnect: () => call('disconnect'),
    async close() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const timer = setTimeout(() => { try { process.kill(child.pid, 'SIGKILL'); } catch {} }, 5000);
      try { child.send({ seq: ++seq, cmd: 'exit' }); } catch { try { process.kill(child.pid, 'SIGTERM'); } catch {} }
      await exited;
      clearTimeout(timer);
    },
  };
}
