// PROXY protocol, end to end: nginx (njs/nginx-proxy-protocol.conf,
// `proxy_protocol on`) and HAProxy (haproxy/haproxy-proxy-protocol.cfg,
// `send-proxy-v2`) in front of a real ejabberd whose listeners expect the
// PROXY protocol (`use_proxy_protocol: true`; Debian's Prosody has no such
// module). Devices connect from their own loopback addresses; ejabberd must
// see those addresses, not the proxy's 127.0.0.1, while jidroute still
// routes each account to one listener.
import t from 'tap';
import { startEjabberd } from './lib/ejabberd.mjs';
import { startXmppStack, devicesFor, accountMessages, DOMAINS, xmppClients } from './lib/e2e.mjs';
import { addressPool, waitFor } from '../harness/procs.mjs';

const PORTS = [5301, 5302, 5303];
const CONFIG = { nginx: 'njs/nginx-proxy-protocol.conf', haproxy: 'haproxy/haproxy-proxy-protocol.cfg' };
const { pki, accounts, clients } = await xmppClients(t, 2, 2);

for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind}: ejabberd sees the clients' own addresses`, async (t) => {
    let ejabberd;
    const stack = await startXmppStack({
      kind, configFile: CONFIG[kind], pki, accounts,
      servers: PORTS.map((p, i) => ({ name: `listener-${i + 1}`, c2s: p })),
      startServers: async (real) => {
        ejabberd = await startEjabberd({ ports: PORTS.map(real), domains: DOMAINS, accounts, pem: pki.certs.xmpp.pem });
        return { servers: [{ name: 'ejabberd', conf: `${ejabberd.dir}/ejabberd.yml`, log: ejabberd.log }], stop: () => ejabberd.stop() };
      },
    });
    t.teardown(() => stack.stop());
    t.teardown(() => { if (t.passing() === false) t.comment(stack.logs()); });

    const devices = devicesFor(accounts, { service: `xmpp://127.0.0.1:${stack.proxy.port(5222)}`, nextAddress: addressPool(0, 40), fromInFirstHeader: true });
    const connected = await clients.connect(devices);
    t.same(connected.filter((c) => !c.ok), [], 'every device connected through the proxy, authenticated and bound');
    const results = await clients.send(accountMessages(devices, connected), 5000);
    t.equal(results.filter((r) => r.delivered).length, results.length, 'every message delivered');
    const auths = await waitFor(() => { const a = ejabberd.authentications(); return a.length >= devices.length && a; },
      { what: 'ejabberd authentication lines' }).catch(() => ejabberd.authentications());
    await clients.disconnect();

    const seen = auths.map((a) => a.address).sort();
    t.same(seen, devices.map((d) => d.localAddress).sort(), `ejabberd saw each device's own address: ${seen.join(' ')}`);
    t.notOk(seen.includes('127.0.0.1'), "ejabberd never saw the proxy's address");
    const log = await waitFor(() => { const l = [...stack.clientLog().values()]; return l.length >= devices.length && l; },
      { what: 'proxy log lines' }).catch(() => []);
    for (const a of accounts) {
      const servers = new Set(log.filter((e) => e.key === a.jid).map((e) => e.server));
      t.equal(servers.size, 1, `${a.jid}: routed by account to ${[...servers].join(', ')}`);
    }
  });
}
