// Slow clients (slowloris) against the real nginx and HAProxy with the
// example configs: 500 connections, each from its own address, trickle a
// stream header one byte every 2 s while legitimate clients keep connecting.
// Every legitimate session lands on its account's backend with its bytes
// intact while all 500 are held; each slow client is handed, once the header
// timeout has passed (5 s: $xmpp_header_timeout / inspect-delay), to a
// backend chosen by its address, with every byte it sent. With nginx's header
// timeout off, preread_timeout closes them and nothing reaches a backend.
// Latency figures are printed as comments (bench/attack/slow-clients.mjs
// measures them at length); nothing here depends on timing.
import t from 'tap';
import { slowClients } from './lib/hostile/slow-clients.mjs';

for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind}: 500 slow clients, legitimate ones unaffected`, async (t) => {
    const r = await slowClients(kind, { slow: 500, everyMs: 2000, bytesEach: 5, legit: 60 });
    t.comment(JSON.stringify({ baseline: r.baseline, underAttack: r.underAttack, slow: r.slowClients, rssKiB: r.rssKiB, tally: r.tally }));
    t.equal(r.slowClients.connected, 500, '500 slow clients connected');
    t.equal(r.underAttack.minSlowHeld, 500, 'all 500 were held open while every legitimate session was served');
    t.ok(r.underAttack.sessions >= 60, `${r.underAttack.sessions} legitimate sessions during the attack`);
    t.equal(r.underAttack.ok, r.underAttack.sessions, 'every legitimate session under attack: routed, bytes intact both ways');
    t.equal(r.baseline.ok, r.baseline.sessions, 'every legitimate session before the attack too');
    t.equal(r.underAttack.wrongBackend + r.baseline.wrongBackend, 0, 'each on its account\'s backend');
    t.equal(r.slowClients.handedToBackend, 500, 'every slow client was handed to a backend, none cut');
    t.equal(r.slowClients.loggedByAddr, 500, 'each routed by its address (route_by addr in the log)');
    t.equal(r.slowClients.loggedIncomplete, 500, 'each logged as an incomplete header');
    t.equal(r.tally.mismatches, 0, 'no byte lost or changed, in either direction');
    t.equal(r.tally.foreignBytes, 0, 'no client got bytes it did not send');
    t.same(r.problems, [], 'no problems');
  });
}

t.test('nginx with the header timeout off: preread_timeout closes slow clients', async (t) => {
  const r = await slowClients('nginx', { slow: 100, everyMs: 2000, bytesEach: 8, legit: 30, headerTimeout: '0' });
  t.comment(JSON.stringify({ underAttack: r.underAttack, slow: r.slowClients }));
  t.equal(r.slowClients.closedByProxy, 100, 'all 100 closed by nginx');
  t.equal(r.slowClients.handedToBackend, 0, 'none reached a backend');
  t.comment(`closed after ${r.slowClients.closedAfterMs.min}..${r.slowClients.closedAfterMs.max} ms (preread_timeout 10s)`);
  t.equal(r.underAttack.ok, r.underAttack.sessions, 'every legitimate session served meanwhile');
  t.same(r.problems, [], 'no problems');
});
