// Tenants, end to end: three Prosody servers (not clustered) serving two
// tenant domains behind nginx and HAProxy. Devices of several accounts per
// domain (xmpp.js as it is: no `from` before STARTTLS, so the domain policy
// routes them by `to`) write to devices of other accounts of their domain.
//  - jidroute, domain policy (the example configs' 5322): each tenant on one
//    server, every message arrives.
//  - The same traffic with round robin and with client-address hashing
//    (the example configs with only the balancing line changed): tenants
//    scatter, and exactly the messages between devices on different servers
//    bounce (service-unavailable: the servers keep no offline storage).
import t from 'tap';
import { startXmppStack, devicesFor, runTraffic, tenantMessages, spread, proxyCounts, expectedDeliveries, exampleServers, xmppClients } from './lib/e2e.mjs';
import { addressPool } from '../harness/procs.mjs';
import { BALANCING } from './lib/variants.mjs';
import { prosodyVersion } from './lib/prosody.mjs';

const SERVERS = exampleServers('c2s');
const { pki, accounts, clients } = await xmppClients(t, 3, 2);

// On the other release lines (JIDROUTE_LINE, harness/lines.mjs) jidroute
// alone: what round robin and address hashing lose does not depend on the
// version.
const ROUTINGS = (process.env.JIDROUTE_LINE ?? 'bookworm') === 'bookworm' ? ['jidroute', 'round robin', 'source hash'] : ['jidroute'];
const PROXIES = process.env.JIDROUTE_PROXIES ? process.env.JIDROUTE_PROXIES.split(',') : ['nginx', 'haproxy'];
t.comment(`Prosody ${prosodyVersion()}`);
for (const kind of PROXIES) {
  for (const routing of ROUTINGS) {
    t.test(`${kind}, ${routing}: tenants through 5322`, async (t) => {
      const stack = await startXmppStack({ kind, pki, accounts, servers: SERVERS, edit: BALANCING[kind][routing] });
      t.teardown(() => stack.stop());
      const devices = devicesFor(accounts, { service: `xmpp://127.0.0.1:${stack.proxy.port(5322)}`, nextAddress: addressPool(0, 2) });
      const run = await runTraffic(stack, clients, devices, tenantMessages, { waitMs: 5000 });
      t.teardown(() => { if (t.passing() === false) t.comment(stack.logs()); });

      t.same(run.connected.filter((c) => !c.ok), [], 'every device connected, authenticated and bound');
      t.same(run.fromServers, proxyCounts(run.devices), "the servers' own logs agree with the proxy's log on placement");
      const tenants = spread(run.devices, (d) => d.domain);
      const delivered = run.results.filter((r) => r.delivered);
      t.comment(`${kind}, ${routing}: ${delivered.length} of ${run.results.length} delivered; tenants on ${JSON.stringify(tenants)}`);
      t.same(delivered.map((r) => r.token).sort(), expectedDeliveries(run.results, run.devices).map((r) => r.token).sort(),
        'exactly the messages between devices on the same server arrived');
      t.same(run.results.filter((r) => !r.delivered && r.bounced !== 'service-unavailable' && !r.elsewhere.length), [],
        "every other message came back as service-unavailable, or went to another of the account's devices on the sender's server");
      if (routing === 'jidroute') {
        t.ok(run.devices.every((d) => d.routeBy === 'to'), 'the proxy routed every session by to');
        for (const [domain, servers] of Object.entries(tenants)) t.equal(servers.length, 1, `${domain}: every device on ${servers}`);
        t.equal(delivered.length, run.results.length, 'every message arrived');
      } else {
        t.ok(Object.values(tenants).some((s) => s.length > 1), 'a tenant is split across servers');
        t.ok(delivered.length < run.results.length, 'messages were lost');
      }
    });
  }
}
