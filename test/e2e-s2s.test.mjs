// Server to server, end to end: a separate Prosody serving verona.example
// sends messages to capulet.example and montague.example, which three
// Prosody servers (not clustered) serve behind nginx and HAProxy with the
// example configs as they are (s2s on 5269). verona's Prosody finds the
// proxy through its SRV record (test/prosody/mod_static_srv.lua answers it),
// opens one s2s stream per domain, and the proxy routes each stream by the
// domain in `to`. Each recipient has a device on every server, connected
// directly: only the one on the server that received the stream gets the
// message, which shows where the stream went by the server's own view.
import t from 'tap';
import { startClients } from './lib/xmpp-clients.mjs';
import { makeStackPki, makeAccounts, startXmppStack, freePortBesides, PASSWORD, exampleServers } from './lib/e2e.mjs';
import { startProsody, prosodyLogs } from './lib/prosody.mjs';
import { waitFor } from '../harness/procs.mjs';

const SERVERS = exampleServers('c2s', 's2s');
const REMOTE = 'verona.example';
const pki = makeStackPki({ verona: [REMOTE] });
const accounts = makeAccounts(1, 1); // juliet@capulet.example, juliet@montague.example
const clients = await startClients({ ca: pki.ca });
t.teardown(() => clients.close());

for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind}: s2s streams routed by to`, async (t) => {
    const remotePorts = {};
    const stack = await startXmppStack({
      kind, pki, accounts, servers: SERVERS,
      staticSrv: async (prepared) => {
        const taken = new Set(prepared.ports.values());
        remotePorts.c2s = await freePortBesides(taken);
        remotePorts.s2s = await freePortBesides(taken);
        return { [REMOTE]: remotePorts.s2s };
      },
    });
    t.teardown(() => stack.stop());
    const remote = await startProsody({
      servers: [{ name: 'verona', ports: remotePorts }],
      domains: [REMOTE],
      accounts: [{ user: 'friar', domain: REMOTE, password: PASSWORD }],
      pki: { dir: pki.dir, ca: pki.ca, ...pki.certs.verona },
      staticSrv: Object.fromEntries(accounts.map((a) => [a.domain, stack.proxy.port(5269)])),
    });
    t.teardown(() => remote.stop());
    t.teardown(() => { if (t.passing() === false) t.comment(`${stack.logs()}\n${prosodyLogs(remote.servers)}`); });

    // A device of each recipient on every server, straight to its c2s port.
    const devices = stack.prosody.servers.flatMap((s) => accounts.map((a) => ({
      id: `${a.jid}@${s.name}`, server: s.name, service: `xmpp://127.0.0.1:${s.ports.c2s}`, domain: a.domain,
      username: a.user, password: a.password, resource: s.name, localAddress: '127.0.0.1',
    })));
    const friar = { id: 'friar', service: `xmpp://127.0.0.1:${remotePorts.c2s}`, domain: REMOTE, username: 'friar', password: PASSWORD, resource: 'cell' };
    // And one device per recipient through the proxy's tenant listener (5322,
    // domain policy): its key is the domain, like the s2s stream's.
    const tenantDevices = accounts.map((a) => ({
      id: `${a.jid}@proxy`, service: `xmpp://127.0.0.1:${stack.proxy.port(5322)}`, domain: a.domain,
      username: a.user, password: a.password, resource: 'via-proxy', localAddress: '127.0.0.2',
    }));
    const connected = await clients.connect([...devices, ...tenantDevices, friar]);
    t.same(connected.filter((c) => !c.ok), [], 'every device connected');

    const messages = accounts.map((a, i) => ({ from: 'friar', to: a.jid, token: `s2s-${kind}-${i}` }));
    await clients.send(messages, 8000);
    const received = await clients.received();
    await clients.disconnect();
    // The proxy logs a session when it ends: close the s2s streams.
    await remote.stop();

    const log = await waitFor(() => {
      // The s2s streams: the ones verona opened (from=verona.example).
      const entries = [...stack.clientLog().values()].filter((e) => e.routeBy === 'to' && e.from === REMOTE);
      return entries.length >= accounts.length && entries;
    }, { what: 's2s lines in the proxy log' }).catch(() => []);
    for (const [i, a] of accounts.entries()) {
      const entry = log.find((e) => e.key === a.domain);
      t.ok(entry, `the proxy routed a stream by to=${a.domain}`);
      if (!entry) continue;
      const got = devices.filter((d) => d.domain === a.domain && received[d.id]?.includes(messages[i].token)).map((d) => d.server);
      t.same(got, [entry.server], `${a.jid}: the message arrived on ${entry.server} only, where the proxy sent the stream`);
      const incoming = stack.prosody.servers.filter((s) => s.s2sIncoming().some((x) => x.from === REMOTE && x.to === a.domain)).map((s) => s.name);
      t.same(incoming, [entry.server], `${a.domain}: only ${entry.server} logged the incoming stream from ${REMOTE}`);
      // HAProxy's rings are built from server names, the same (s1..s3) in the
      // c2s and s2s backends: the tenant's c2s sessions and the stream for
      // its domain meet. nginx's rings hash addresses, which differ between
      // the two upstreams: they meet by chance only.
      const viaProxy = received[`${a.jid}@proxy`]?.includes(messages[i].token);
      if (kind === 'haproxy') t.ok(viaProxy, `${a.jid}: the device routed by domain on 5322 got the message too`);
      else t.comment(`${a.jid}: the device routed by domain on 5322 ${viaProxy ? 'got' : 'did not get'} the message`);
    }
  });
}
