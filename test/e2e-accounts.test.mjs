// Accounts, end to end: three Prosody servers (not clustered) behind nginx and
// HAProxy running the example configs as they are (5222, bare policy,
// STARTTLS passed through, the clients verifying the servers' certificates),
// several accounts in two domains with three devices each, every device an
// xmpp.js client from its own loopback address.
//  - Clients that send `from` in their first header (Smack, Dino, most IoT
//    firmware; here xmpp.js with that header override): every device of an
//    account lands on one server, and every message from one device of the
//    account to another arrives.
//  - xmpp.js as it is (no `from` before STARTTLS): routed by address, an
//    account's devices scatter, and exactly the messages between devices on
//    different servers are lost.
import t from 'tap';
import { startXmppStack, devicesFor, runTraffic, accountMessages, spread, proxyCounts, expectedDeliveries, exampleServers, xmppClients } from './lib/e2e.mjs';
import { addressPool } from '../harness/procs.mjs';

const SERVERS = exampleServers('c2s');
const { pki, accounts, clients } = await xmppClients(t, 3, 3);

for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind}: accounts through 5222 (STARTTLS passed through)`, async (t) => {
    const stack = await startXmppStack({ kind, pki, accounts, servers: SERVERS });
    t.teardown(() => stack.stop());
    const nextAddress = addressPool(0, 2);
    const service = `xmpp://127.0.0.1:${stack.proxy.port(5222)}`;
    const onFailure = (t) => { if (t.passing() === false) t.comment(stack.logs()); };

    await t.test('devices that send from in their first header: one server per account, every message arrives', async (t) => {
      const devices = devicesFor(accounts, { service, nextAddress, fromInFirstHeader: true });
      const run = await runTraffic(stack, clients, devices, accountMessages);
      t.teardown(() => onFailure(t));
      t.same(run.connected.filter((c) => !c.ok), [], 'every device connected, authenticated and bound');
      t.ok(run.devices.every((d) => d.routeBy === 'from'), 'the proxy routed every session by from');
      for (const [jid, servers] of Object.entries(spread(run.devices, (d) => d.account))) {
        t.equal(servers.length, 1, `${jid}: all devices on ${servers.join(', ')}`);
      }
      t.same(run.fromServers, proxyCounts(run.devices), "the servers' own logs agree with the proxy's log on placement");
      const delivered = run.results.filter((r) => r.delivered).length;
      t.equal(delivered, run.results.length, `${delivered} of ${run.results.length} messages delivered`);
      t.comment(`placement: ${JSON.stringify(spread(run.devices, (d) => d.account))}`);
    });

    await t.test('xmpp.js as it is (no from before STARTTLS): routed by address, messages across servers are lost', async (t) => {
      const devices = devicesFor(accounts, { service, nextAddress });
      const run = await runTraffic(stack, clients, devices, accountMessages);
      t.teardown(() => onFailure(t));
      t.same(run.connected.filter((c) => !c.ok), [], 'every device connected, authenticated and bound');
      t.ok(run.devices.every((d) => d.routeBy === 'addr'), 'the proxy routed every session by address');
      t.same(run.fromServers, proxyCounts(run.devices), "the servers' own logs agree with the proxy's log on placement");
      const split = Object.entries(spread(run.devices, (d) => d.account)).filter(([, s]) => s.length > 1);
      t.ok(split.length > 0, `accounts split across servers: ${split.length} of ${accounts.length}`);
      const expected = expectedDeliveries(run.results, run.devices);
      const delivered = run.results.filter((r) => r.delivered);
      t.same(delivered.map((r) => r.token).sort(), expected.map((r) => r.token).sort(),
        'exactly the messages between devices on the same server arrived');
      t.ok(delivered.length < run.results.length, `${delivered.length} of ${run.results.length} messages delivered`);
    });
  });
}
