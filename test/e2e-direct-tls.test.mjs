// Direct TLS (XEP-0368, https://xmpp.org/extensions/xep-0368.html), end to
// end: nginx and HAProxy with njs/nginx-directtls.conf and
// haproxy/haproxy-directtls.cfg terminate TLS on 5223 (ALPN xmpp-client,
// certificate from the test CA), route on the decrypted header and open a
// new, verified TLS connection to Prosody's Direct TLS port. xmpp.js as it is
// leaves `from` out before STARTTLS but sends it over Direct TLS, so on 5223
// its devices are routed by account.
import t from 'tap';
import { startXmppStack, devicesFor, runTraffic, accountMessages, spread, proxyCounts, exampleServers, xmppClients } from './lib/e2e.mjs';
import { addressPool } from '../harness/procs.mjs';

const SERVERS = exampleServers('c2s', 'directTls');
const CONFIG = { nginx: 'njs/nginx-directtls.conf', haproxy: 'haproxy/haproxy-directtls.cfg' };
const { pki, accounts, clients } = await xmppClients(t, 3, 3);

for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind}: xmpp.js over Direct TLS on 5223 is routed by account`, async (t) => {
    const stack = await startXmppStack({ kind, configFile: CONFIG[kind], pki, accounts, servers: SERVERS });
    t.teardown(() => stack.stop());
    t.teardown(() => { if (t.passing() === false) t.comment(stack.logs()); });
    const devices = devicesFor(accounts, {
      service: `xmpps://127.0.0.1:${stack.proxy.port(5223)}`, nextAddress: addressPool(0, 2), alpn: 'xmpp-client',
    });
    const run = await runTraffic(stack, clients, devices, accountMessages);

    t.same(run.connected.filter((c) => !c.ok), [], "every device connected (verifying the proxy's certificate), authenticated and bound");
    t.ok(run.connected.every((c) => c.alpn === 'xmpp-client'), 'the proxy negotiated ALPN xmpp-client');
    t.ok(run.devices.every((d) => d.routeBy === 'from' && d.key === d.account),
      'the proxy read from in the decrypted header and routed by the bare JID');
    for (const [jid, servers] of Object.entries(spread(run.devices, (d) => d.account))) {
      t.equal(servers.length, 1, `${jid}: all devices on ${servers.join(', ')}`);
    }
    t.same(run.fromServers, proxyCounts(run.devices), "the servers' own logs (Direct TLS port) agree with the proxy's log");
    const delivered = run.results.filter((r) => r.delivered).length;
    t.equal(delivered, run.results.length, `${delivered} of ${run.results.length} messages delivered`);
    const tls = /tls=(\S+)/.exec(stack.proxy.log().split('\n').find((l) => l.includes('by=from')) ?? '')?.[1];
    t.match(tls, /^TLSv1\.[23]\/xmpp-client$/, `the proxy logged the client's TLS: ${tls}`);

    // One account, two kinds of client: one that sends from before STARTTLS
    // (5222, passed through) and xmpp.js over Direct TLS (5223). Both
    // upstreams must put the key on the same server.
    await t.test("an account's devices on 5222 (from in the first header) and on 5223 meet", async (t) => {
      const nextAddress = addressPool(0, 100);
      const mixed = [
        ...devicesFor(accounts.map((a) => ({ ...a, resources: ['desktop'] })),
          { service: `xmpp://127.0.0.1:${stack.proxy.port(5222)}`, nextAddress, fromInFirstHeader: true }),
        ...devicesFor(accounts.map((a) => ({ ...a, resources: ['phone'] })),
          { service: `xmpps://127.0.0.1:${stack.proxy.port(5223)}`, nextAddress, alpn: 'xmpp-client' }),
      ];
      const run = await runTraffic(stack, clients, mixed, accountMessages);
      t.same(run.connected.filter((c) => !c.ok), [], 'every device connected');
      const apart = Object.entries(spread(run.devices, (d) => d.account)).filter(([, s]) => s.length > 1);
      t.same(apart, [], 'every account on one server');
      t.equal(run.results.filter((r) => r.delivered).length, run.results.length, 'every message delivered');
    });
  });
}
