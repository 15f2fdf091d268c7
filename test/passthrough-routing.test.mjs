// Direct TLS passed through, raw bytes: the real nginx and HAProxy with
// njs/nginx-passthrough.conf and haproxy/haproxy-passthrough.cfg, recording
// TCP backends behind them. Every TLS hello vector (real hellos from OpenSSL
// and Node, crafted ones) through the 5223 listener: the variables in the
// proxy's log, every byte at the backend unchanged, a decided hello forwarded
// at once (before the inspect delay / preread timeout). A tenant's STARTTLS
// header on 5322 and its hello on 5223 reach the same server.
import t from 'tap';
import { prepareNginx, prepareHaproxy, startProxy, ERROR_PATTERNS, loggedConnection } from '../harness/proxies.mjs';
import { exchange } from '../harness/backends.mjs';
import { startStack, recordingBackends } from '../harness/stack.mjs';
import { helloVectors } from '../harness/inputs/hellos.mjs';
import { addressPool } from '../harness/procs.mjs';

const C2S = [5301, 5302, 5303];
const TLS = [5311, 5312, 5313];
const DELAY_MS = 5000; // inspect-delay / $xmpp_header_timeout; nginx's preread_timeout is 10 s
const CONFIG = {
  nginx: () => prepareNginx('njs/nginx-passthrough.conf'),
  haproxy: () => prepareHaproxy('haproxy/haproxy-passthrough.cfg'),
};
// The listener is under the domain policy; the vectors' incomplete hellos
// wait for bytes that never come (tested in the core, not here).
const vectors = helloVectors().filter((v) => v.policy === 'domain' && v.expect.stream !== 'incomplete');

for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind}: TLS hellos passed through, routed by SNI`, async (t) => {
    const stack = await startStack({ kind, prepare: CONFIG[kind], servers: recordingBackends(['c2s-1', 'c2s-2', 'c2s-3', 'tls-1', 'tls-2', 'tls-3'], [...C2S, ...TLS]) });
    t.teardown(() => stack.stop());
    const { proxy, servers: { backends } } = stack;
    const byName = Object.fromEntries(backends.map((b) => [b.name, b]));
    const source = addressPool(0, 10 * 254);
    const send = async (port, bytes, options = {}) => {
      const localAddress = source();
      const r = await exchange(proxy.port(port), bytes, { localAddress, ...options });
      return { ...r, localAddress, client: `${localAddress}:${r.localPort}` };
    };
    // A connection and its log line; HAProxy may drop the line under load
    // (harness/proxies.mjs droppedLogs), and then the same bytes go again.
    const loggedSend = (port, bytes, options) => loggedConnection(proxy, () => send(port, bytes, options));

    await t.test('every hello vector: variables, bytes, at once', async (t) => {
      t.ok(vectors.length >= 40, `${vectors.length} vectors`);
      for (const [i, v] of vectors.entries()) {
        const pieces = i % 3 === 0 ? 3 : 1;
        const { r, entry } = await loggedSend(5223, v.bytes, { pieces, gapMs: pieces > 1 ? 20 : 0 });
        if (!t.ok(r.backend, `${v.name}: reached a backend`)) continue;
        const want = { ...v.expect, key: v.expect.key === '$addr' ? r.localAddress : v.expect.key };
        t.same({ key: entry?.key, routeBy: entry?.routeBy, from: entry?.from, to: entry?.to, stream: entry?.stream }, want, `${v.name} (${v.ref})`);
        t.ok(byName[r.backend].bytes(r.id).equals(v.bytes), `${v.name}: bytes unchanged at ${r.backend}`);
        t.match(r.backend, /^tls-/, `${v.name}: a Direct TLS port`);
        t.ok(r.greetingMs < DELAY_MS, `${v.name}: forwarded after ${r.greetingMs} ms`);
      }
    });

    await t.test("a tenant's STARTTLS header (to) and its hello (SNI) reach the same server", async (t) => {
      const typical = helloVectors().find((v) => v.name === 'typical hello (domain)').bytes;
      const name = Buffer.from('tenant.example');
      const at = typical.indexOf(name);
      const servers = new Set();
      for (let n = 0; n < 12; n++) {
        // The same hello with another name of the same length.
        const domain = `tena${String(n).padStart(2, '0')}.example`;
        const hello = Buffer.from(typical);
        hello.write(domain, at, 'latin1');
        const header = Buffer.from(`<?xml version='1.0'?><stream:stream to='${domain.toUpperCase()}' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
        const { r: viaTls, entry } = await loggedSend(5223, hello);
        const viaStarttls = await send(5322, header);
        t.equal(entry?.key, domain, `${domain}: keyed on the SNI`);
        t.equal(viaTls.backend.slice(-1), viaStarttls.backend.slice(-1), `${domain}: ${viaTls.backend} and ${viaStarttls.backend}`);
        servers.add(viaTls.backend);
      }
      t.ok(servers.size >= 2, `tenants spread over ${servers.size} servers`);
    });

    await t.test('error log is clean', async (t) => {
      for (const pattern of ERROR_PATTERNS[kind]) t.notMatch(proxy.errors(), pattern, `no ${pattern}`);
    });
  });
}
