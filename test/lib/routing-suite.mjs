// The routing scenarios every proxy build is held to (nginx and HAProxy, on
// the host or in containers): the shared vectors end to end, bytes unchanged,
// one account's devices on one backend, accounts spread, tenants together,
// non-XMPP forwarded at once, logs free of errors.
import { loadVectors } from '../../harness/vectors.mjs';
import { ERROR_PATTERNS, againWhileDropped, logEntry, loggedConnection } from '../../harness/proxies.mjs';
import { exchange } from '../../harness/backends.mjs';
import { startStack, recordingBackends } from '../../harness/stack.mjs';
import { addressPool } from '../../harness/procs.mjs';

const C2S = [5301, 5302, 5303];
const S2S = [5401, 5402, 5403];

async function inBatches(items, size, fn) {
  const out = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

/**
 * `prepare()` writes the proxy's config and returns its ports map
 * (example port -> real port); `start(prepared)` starts it, once the backends
 * listen (a health check that finds nothing marks a server down), and returns
 * { kind, port(examplePort), log(), errors(), stop() }.
 */
export function routingSuite(t, { kind, prepare, start, delayMs, cutShortForwards = true }) {
  t.test(`${kind}: routing end to end`, async (t) => {
    // The backends first: a health check that finds nothing marks a server down.
    const stack = await startStack({ kind, prepare, start, servers: recordingBackends(['c2s-1', 'c2s-2', 'c2s-3', 's2s-1', 's2s-2', 's2s-3'], [...C2S, ...S2S]) });
    t.teardown(() => stack.stop());
    const { proxy, servers: { backends } } = stack;
    const byName = Object.fromEntries(backends.map((b) => [b.name, b]));
    const source = addressPool(0, 2);

    async function send(listener, bytes, options = {}) {
      const localAddress = options.localAddress ?? source();
      const r = await exchange(proxy.port(listener), bytes, { localAddress, ...options });
      return { ...r, localAddress, client: `${localAddress}:${r.localPort}` };
    }
    // A connection and its log line; HAProxy may drop the line under load
    // (harness/proxies.mjs droppedLogs), and then the same bytes go again.
    const loggedSend = (listener, bytes, options) => loggedConnection(proxy, () => send(listener, bytes, options));

    await t.test('every vector: key, variables and bytes', async (t) => {
      const vectors = [...loadVectors('development'), ...loadVectors('heldout')];
      // Eight at a time; all again if HAProxy dropped the log lines missing.
      const { result: results, attempts } = await againWhileDropped(proxy, () => inBatches(vectors, 8, async (v, i) => {
        const listener = v.policy === 'domain' ? 5322 : 5222;
        const pieces = i % 3 === 0 ? 3 : 1;
        const r = await send(listener, v.bytes, { pieces, gapMs: pieces > 1 ? 20 : 0 });
        return { v, r, entry: r.backend ? await logEntry(proxy, r.client) : null };
      }), (rs) => rs.filter((x) => x.r.backend && !x.entry).length);
      if (attempts > 1) t.comment(`HAProxy dropped log lines: the vectors went ${attempts} times`);
      for (const { v, r, entry } of results) {
        if (!t.ok(r.backend, `${v.name}: reached a backend`)) continue;
        if (!t.ok(entry, `${v.name}: logged as ${r.client}`)) continue;
        const want = { ...v.expect, key: v.expect.key === '$addr' ? r.localAddress : v.expect.key };
        t.same({ key: entry.key, routeBy: entry.routeBy, from: entry.from, to: entry.to }, want, `${v.name} (${v.ref})`);
        t.ok(byName[r.backend].bytes(r.id).equals(v.bytes), `${v.name}: bytes reached the backend unchanged`);
      }
    });

    await t.test('all devices of an account on one backend; accounts spread', async (t) => {
      const accounts = Array.from({ length: 30 }, (_, i) => `user${i}@example.com`);
      const variants = (jid) => [jid, jid.toUpperCase(), `${jid}/phone`, `${jid.replace('@', '@')}/laptop`];
      const placement = new Map();
      for (const jid of accounts) {
        for (const variant of variants(jid)) {
          const header = `<?xml version='1.0'?><stream:stream from='${variant}' to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;
          const r = await send(5222, Buffer.from(header));
          if (!placement.has(jid)) placement.set(jid, new Set());
          placement.get(jid).add(r.backend);
        }
      }
      const split = [...placement.values()].filter((s) => s.size !== 1).length;
      t.equal(split, 0, 'no account has devices on two backends');
      const used = new Set([...placement.values()].map((s) => [...s][0]));
      t.equal(used.size, 3, `30 accounts use all three backends (${[...used].join(', ')})`);
    });

    await t.test('domain policy: every account of a tenant on one backend', async (t) => {
      const tenants = Array.from({ length: 12 }, (_, i) => `tenant${i}.example`);
      const placement = new Map();
      for (const domain of tenants) {
        for (let u = 0; u < 4; u++) {
          const header = `<stream:stream from='device${u}@${domain}/r${u}' to='${domain}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;
          const r = await send(5322, Buffer.from(header));
          if (!placement.has(domain)) placement.set(domain, new Set());
          placement.get(domain).add(r.backend);
        }
      }
      t.equal([...placement.values()].filter((s) => s.size !== 1).length, 0, 'no tenant is split');
      t.ok(new Set([...placement.values()].map((s) => [...s][0])).size >= 2, 'tenants spread over backends');
    });

    await t.test('s2s: routed by to, to the s2s backends', async (t) => {
      const seen = new Map();
      for (let i = 0; i < 6; i++) {
        const header = `<stream:stream from='peer${i}.example' to='example.com' xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`;
        const { r, entry } = await loggedSend(5269, Buffer.from(header));
        seen.set(r.backend, (seen.get(r.backend) || 0) + 1);
        t.equal(entry?.key, 'example.com');
      }
      t.equal(seen.size, 1, 'every peer of example.com on one s2s backend');
      t.match([...seen.keys()][0], /^s2s-/);
    });

    await t.test('non-XMPP is forwarded at once, not after the delay', async (t) => {
      // A whole ClientHello without server_name: decided on its last byte.
      const tls = Buffer.from('16030100510100004d03035a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a201111111111111111111111111111111111111111111111111111111111111111000613011302c02b0100', 'hex');
      const http = Buffer.from('GET / HTTP/1.1\r\nHost: example.com\r\n\r\n');
      for (const [name, bytes] of [['TLS ClientHello', tls], ['HTTP request', http]]) {
        const r = await send(5222, bytes);
        t.ok(r.backend, `${name} reached a backend`);
        t.ok(r.greetingMs < delayMs, `${name} answered after ${r.greetingMs} ms, before the ${delayMs} ms delay`);
        t.ok(byName[r.backend].bytes(r.id).equals(bytes), `${name}: bytes unchanged`);
      }
    });

    await t.test('a header cut short: routed by address after the header timeout (njs 0.8+, HAProxy), or closed at preread_timeout (njs 0.7)', async (t) => {
      const header = Buffer.from("<?xml version='1.0'?><stream:stream from='juliet@example.com' to='exam");
      const { r, entry } = await loggedSend(5222, header, { timeoutMs: delayMs + 15000 });
      if (!t.ok(entry, 'logged')) return;
      if (cutShortForwards) {
        t.ok(r.backend, 'reached a backend');
        t.same([entry.routeBy, entry.key, entry.stream], ['addr', r.localAddress, 'incomplete']);
        t.ok(r.backend && byName[r.backend].bytes(r.id).equals(header), 'the bytes it sent reached the backend unchanged');
      } else {
        t.equal(r.backend, null, 'closed by preread_timeout without reaching a backend');
        t.equal(entry.routeBy, '', 'never routed');
      }
    });

    await t.test('a probe that connects and sends nothing leaves no error', async (t) => {
      const closed = await send(5222, Buffer.alloc(0), { pieces: 0, closeAfterMs: 50 });
      t.type(closed.localPort, 'number', 'connected, half-closed, and closed by the proxy (the log check follows)');
    });

    await t.test('error log is clean', async (t) => {
      const errors = proxy.errors();
      for (const pattern of ERROR_PATTERNS[kind]) t.notMatch(errors, pattern, `no ${pattern}`);
    });
  });
}
