// Hot-spotting against the real nginx and HAProxy: an attacker picks 'from'
// values that all hash to one backend ('from' is chosen by the client before
// it authenticates: it steers routing and nothing else) and opens 250
// connections from each of two addresses. With the example configs' limit of
// 100 connections per address it holds exactly 200, all on its target, and
// the other 300 are closed before reaching any backend; without the limit it
// holds all it opens. Legitimate clients, those of the target included, land
// on their backends with their bytes intact throughout.
import t from 'tap';
import { hotSpotting } from '../harness/hostile/hot-spotting.mjs';

for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind}: hot-spotting with the per-address limit`, async (t) => {
    const r = await hotSpotting(kind, { addresses: 2, perAddress: 250, legit: 40 });
    t.comment(JSON.stringify({ attack: r.attack, legit: r.legit, tally: r.tally }));
    t.equal(r.hashesFound, 30, 'the attacker found 30 from values for its target');
    t.equal(r.attack.accepted, 200, '200 of 500 connections accepted');
    t.same(Object.values(r.attack.perAttackerAddress), [100, 100], '100 from each address');
    t.same(r.attack.onBackend, { 'c2s-2': 200 }, 'all on the target');
    t.equal(r.attack.rejected, 300, 'the other 300 closed before reaching a backend');
    for (const [name, figures] of Object.entries(r.legit)) {
      if (name === 'wrongBackend') continue;
      t.equal(figures.ok, figures.sessions, `legitimate sessions (${name}): all ${figures.sessions} routed, bytes intact`);
    }
    t.equal(r.legit.wrongBackend, 0, 'each on its account\'s backend');
    t.equal(r.tally.mismatches + r.tally.foreignBytes, 0, 'no byte lost or changed');
    t.same(r.errors, [], 'nothing alarming in the proxy\'s error log');
    t.same(r.problems, [], 'no problems');
  });

  t.test(`${kind}: hot-spotting without the limit`, async (t) => {
    const r = await hotSpotting(kind, { addresses: 1, perAddress: 150, legit: 20, limit: false });
    t.comment(JSON.stringify({ attack: r.attack }));
    t.same(r.attack.onBackend, { 'c2s-2': 150 }, 'one address holds all 150 connections it opens, all on the target');
    t.equal(r.legit.during.ok, r.legit.during.sessions, 'legitimate sessions still routed, bytes intact');
    t.same(r.errors, [], 'nothing alarming in the proxy\'s error log');
    t.same(r.problems, [], 'no problems');
  });
}
