// Slow clients (slowloris) against the real nginx and HAProxy with the
// example configs: 500 connections, each from its own address, trickle a
// stream header one byte every 2 s while legitimate clients keep connecting.
// Every legitimate session lands on its account's backend with its bytes
// intact while all 500 are held. Then the header timeout (5 s) ends the wait:
// HAProxy (inspect-delay) and nginx with njs 0.8+ ($xmpp_header_timeout) hand
// each slow client to a backend chosen by its address, with every byte it
// sent; nginx with njs 0.7 (Debian 12), or with the header timeout off,
// closes them at preread_timeout (10 s) and nothing reaches a backend.
// Latency figures are printed as comments (bench/attack/slow-clients.mjs
// measures them at length); nothing here depends on timing.
import t from 'tap';
import { slowClients } from '../harness/hostile/slow-clients.mjs';
import { njsTimersResumePreread } from '../harness/proxies.mjs';

function legitimateUnaffected(t, r) {
  t.ok(r.underAttack.whileAllHeld >= 40, `${r.underAttack.whileAllHeld} legitimate sessions completed while all ${r.slow} slow clients were held`);
  for (const phase of ['baseline', 'underAttack', 'afterHandOver']) {
    t.equal(r[phase].ok, r[phase].sessions, `${phase}: all ${r[phase].sessions} legitimate sessions routed, bytes intact both ways`);
    t.equal(r[phase].wrongBackend, 0, `${phase}: each on its account's backend`);
  }
  t.equal(r.tally.mismatches, 0, 'no byte lost or changed, in either direction');
  t.equal(r.tally.foreignBytes, 0, 'no client got bytes it did not send');
  t.same(r.errors, [], 'nothing alarming in the proxy\'s error log');
  t.same(r.problems, [], 'no problems');
}

for (const kind of ['nginx', 'haproxy']) {
  const forwards = kind === 'haproxy' || njsTimersResumePreread();
  t.test(`${kind}: 500 slow clients, legitimate ones unaffected`, async (t) => {
    const r = await slowClients(kind, { slow: 500, everyMs: 2000, bytesEach: 5, legit: 40 });
    t.comment(JSON.stringify({ baseline: r.baseline, underAttack: r.underAttack, afterHandOver: r.afterHandOver, slow: r.slowClients, rssKiB: r.rssKiB, tally: r.tally }));
    t.equal(r.slowClients.connected, 500, '500 slow clients connected');
    legitimateUnaffected(t, r);
    if (forwards) {
      t.equal(r.slowClients.handedToBackend, 500, 'every slow client was handed to a backend, none cut');
      // All 500 are logged at once when the delay ends: HAProxy may drop a
      // line then, and says how many (harness/proxies.mjs droppedLogs).
      const dropped = r.slowClients.droppedLogs;
      t.ok(r.slowClients.loggedByAddr >= 500 - dropped && r.slowClients.loggedByAddr === r.slowClients.logged,
        `each routed by its address (route_by addr in the log: ${r.slowClients.loggedByAddr} of ${r.slowClients.logged} lines; the proxy dropped ${dropped})`);
      t.ok(r.slowClients.loggedIncomplete >= 500 - dropped && r.slowClients.loggedIncomplete === r.slowClients.logged,
        `each logged as an incomplete header (${r.slowClients.loggedIncomplete} of ${r.slowClients.logged} lines)`);
    } else {
      t.equal(r.slowClients.closedByProxy, 500, 'njs 0.7: every slow client closed by preread_timeout');
      t.equal(r.slowClients.distinctBackendConnections, 0, 'none reached a backend');
    }
  });
}

t.test('nginx with the header timeout off: preread_timeout closes slow clients', async (t) => {
  const r = await slowClients('nginx', { slow: 100, everyMs: 2000, bytesEach: 8, legit: 40, headerTimeout: '0' });
  t.comment(JSON.stringify({ underAttack: r.underAttack, slow: r.slowClients }));
  t.comment(`closed after ${r.slowClients.closedAfterMs.min}..${r.slowClients.closedAfterMs.max} ms (preread_timeout 10s)`);
  t.equal(r.slowClients.closedByProxy, 100, 'all 100 closed by nginx');
  t.equal(r.slowClients.handedToBackend, 0, 'none reached a backend');
  legitimateUnaffected(t, r);
});
