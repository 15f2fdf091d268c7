// Floods against the real nginx and HAProxy with the example configs: two
// rounds of 2,100 connections each (600 that send nothing, 1,000 that send
// junk, 500 that send a header far over the limit), from 60 addresses, while
// legitimate clients keep connecting; then headers sent one byte per segment.
// Every junk and oversized byte comes back unchanged, every legitimate
// session lands on its account's backend, and the proxy's memory after the
// second round is not the first round's plus as much again (no leak).
// RSS and CPU figures are printed as comments; bench/attack/floods.mjs
// measures them at length.
import t from 'tap';
import { floods } from '../harness/hostile/floods.mjs';

for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind}: floods of silent, junk and oversized connections`, async (t) => {
    const r = await floods(kind, { rounds: 2, silent: 600, junkCount: 1000, junkWidth: 100, oversizedCount: 500, oversizedWidth: 50, addresses: 60, legit: 40, dribbles: 20 });
    t.comment(JSON.stringify({ flood: r.flood, dribble: r.dribble, rssKiB: r.rssKiB, baseline: r.baseline, underAttack: r.underAttack, tally: r.tally }));
    t.equal(r.flood.junk.ok, 2000, 'all 2,000 junk connections: routed at once, every byte back unchanged');
    t.equal(r.flood.oversized.ok, 1000, 'all 1,000 oversized headers: routed at once, every byte back unchanged');
    // Each counted line by line; HAProxy may drop a line under load and says
    // how many it dropped (harness/proxies.mjs droppedLogs): those are
    // allowed for, no more.
    const dropped = r.flood.droppedLogs;
    t.ok(r.flood.loggedTooLong >= 1000 - dropped, `oversized headers logged as too-long (${r.flood.loggedTooLong}; the proxy dropped ${dropped} lines)`);
    t.ok(r.flood.loggedNotXml >= 2000 - dropped, `junk logged as not-xml (${r.flood.loggedNotXml}; the proxy dropped ${dropped} lines)`);
    if (kind === 'haproxy') {
      t.equal(r.flood.silent.routedByAddress, 1200, 'silent connections: routed by address when inspect-delay ends');
    } else {
      t.equal(r.flood.silent.closedByProxy, 1200, 'silent connections: closed by nginx (preread_timeout), nothing sent, nothing lost');
    }
    t.equal(r.underAttack.ok, r.underAttack.sessions, `every one of ${r.underAttack.sessions} legitimate sessions during the floods: routed, bytes intact`);
    t.equal(r.baseline.ok, r.baseline.sessions, 'every legitimate session before the floods too');
    t.equal(r.underAttack.wrongBackend, 0, 'each on its account\'s backend');
    t.equal(r.dribble.intact, 20, 'headers sent one byte per segment reach the backend whole');
    const [first, second] = r.rssKiB.rounds;
    t.ok(second.peakKiB - r.rssKiB.before < 1.5 * (first.peakKiB - r.rssKiB.before) + 4096,
      `memory bounded: RSS ${r.rssKiB.before} KiB, peak ${first.peakKiB} KiB in round 1, ${second.peakKiB} KiB in round 2`);
    t.equal(r.tally.mismatches, 0, 'no byte lost or changed');
    t.equal(r.tally.foreignBytes, 0, 'no client got bytes it did not send');
    t.same(r.errors, [], 'nothing alarming in the proxy\'s error log');
    t.same(r.problems, [], 'no problems');
  });
}
