// The hostile quick variants (slow clients, floods, reload under load) and
// rounds of truncated headers against nginx 1.30 / njs 1.0 from a Debian sid
// root with `js_engine qjs` (QuickJS): no worker crash, every byte through,
// memory that levels off. Under QuickJS, njs frees a timer twice when its
// own callback clears it, and the worker aborts (repro/quickjs-timer-abort);
// jidroute's header timer no longer does that, and the slow-client and
// truncated-header rounds below are the load that crashed it.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { commandFor, rootDir } from '../harness/lines.mjs';
import { slowClients } from '../harness/hostile/slow-clients.mjs';
import { floods } from '../harness/hostile/floods.mjs';
import { reloadUnderLoad } from '../harness/hostile/reload.mjs';
import { truncatedRounds } from '../harness/hostile/truncated.mjs';

// The QuickJS line of harness/lines.mjs: nginx from the Debian sid root
// (made when missing) with `js_engine qjs`.
const saved = process.env.JIDROUTE_LINE;
process.env.JIDROUTE_LINE = 'sid-qjs';
let found;
try {
  const [cmd, pre] = await commandFor('nginx');
  const v = spawnSync(cmd, [...pre, '-v'], { encoding: 'utf8' });
  const q = (pkg) => spawnSync('chroot', [rootDir('sid'), 'dpkg-query', '-W', '-f', '${Version}', pkg], { encoding: 'utf8' }).stdout;
  found = { nginx: /nginx\/(\S+)/.exec(v.stderr)?.[1], njs: q('libnginx-mod-stream-js'), qjs: q('libqjs0') };
} catch (e) {
  found = { skip: e.message };
}
if (found.skip || !found.nginx) {
  t.plan(0, `no Debian sid root with nginx 1.30 / njs 1.0: ${found.skip ?? 'nginx did not answer'}`);
} else {
  t.comment(`sid root: nginx ${found.nginx}, njs ${found.njs}, libqjs0 ${found.qjs}`);
  t.teardown(() => {
    if (saved === undefined) delete process.env.JIDROUTE_LINE; else process.env.JIDROUTE_LINE = saved;
  });

  // A worker that dies is logged by the master at [alert] ("exited on
  // signal 6" after QuickJS's assertion, or 11), which proxyErrors counts.
  const noCrash = (t, r) => {
    t.notOk(r.errors.some((e) => /exited on signal|Assertion/.test(e)), 'no worker crashed');
    t.same(r.errors, [], 'nothing alarming in the error log');
  };

  t.test('qjs: 300 slow clients, each handed over by the header timer', async (t) => {
    const options = { slow: 300, everyMs: 2000, bytesEach: 5, legit: 40 };
    let r;
    try {
      r = await slowClients('nginx', options);
    } catch (e) {
      // Setting up, not an outcome: on a loaded machine 300 connections can
      // take longer than the scenario waits for them. Once more.
      if (!/timed out waiting for slow clients to connect/.test(e.message)) throw e;
      t.comment(`${e.message}: trying once more`);
      r = await slowClients('nginx', options);
    }
    t.comment(JSON.stringify({ underAttack: r.underAttack, slow: r.slowClients, rssKiB: r.rssKiB }));
    t.equal(r.slowClients.connected, 300, '300 slow clients connected');
    t.equal(r.slowClients.handedToBackend, 300, 'every slow client handed to a backend, none cut');
    t.equal(r.slowClients.loggedByAddr, 300, 'each routed by its address');
    for (const phase of ['baseline', 'underAttack', 'afterHandOver']) {
      t.equal(r[phase].ok, r[phase].sessions, `${phase}: all ${r[phase].sessions} legitimate sessions routed, bytes intact`);
      t.equal(r[phase].wrongBackend, 0, `${phase}: each on its account's backend`);
    }
    t.equal(r.tally.mismatches + r.tally.foreignBytes, 0, 'no byte lost or changed');
    noCrash(t, r);
    t.same(r.problems, [], 'no problems');
  });

  t.test('qjs: truncated headers in rounds, half closing while their timer is pending', async (t) => {
    const r = await truncatedRounds('nginx', { rounds: 5, count: 300 });
    t.comment(JSON.stringify({ workerRssBeforeKiB: r.workerRssBeforeKiB, rounds: r.rounds, pendingEventLines: r.pendingEventLines }));
    t.equal(r.workerCrashes, 0, 'no worker crashed');
    t.same(r.assertions, [], 'no QuickJS assertion');
    for (const [i, round] of r.rounds.entries()) {
      t.equal(round.handed, round.waiting, `round ${i + 1}: all ${round.waiting} waiting clients handed over by the timer`);
    }
    // The worker keeps what its busiest moment took (QuickJS contexts,
    // about 350 KiB a session here: bench/engine-memory.mjs) and reuses it:
    // its RSS follows the most sessions open at once (count), not how many
    // it has served (rounds x count); how fast it gets there varies with
    // the machine's load. A leak of 30 KiB a session would cross the bound.
    const rss = r.rounds.map((x) => x.workerRssKiB);
    const bound = r.workerRssBeforeKiB + r.count * 512;
    t.ok(Math.max(...rss) <= bound,
      `worker memory bounded by the ${r.count} sessions open at once, not the ${r.rounds.length * r.count} served: ${rss.join(', ')} KiB after rounds 1..${rss.length} (bound ${bound} KiB)`);
    t.equal(r.tally.mismatches + r.tally.foreignBytes, 0, 'no byte lost or changed');
    noCrash(t, r);
    t.same(r.problems, [], 'no problems');
  });

  t.test('qjs: floods of silent, junk and oversized connections', async (t) => {
    const r = await floods('nginx', { rounds: 2, silent: 600, junkCount: 1000, junkWidth: 100, oversizedCount: 500, oversizedWidth: 50, addresses: 60, legit: 40, dribbles: 20 });
    t.comment(JSON.stringify({ flood: r.flood, rssKiB: r.rssKiB }));
    t.equal(r.flood.junk.ok, 2000, 'all 2,000 junk connections: every byte back unchanged');
    t.equal(r.flood.oversized.ok, 1000, 'all 1,000 oversized headers: every byte back unchanged');
    t.equal(r.flood.silent.closedByProxy, 1200, 'silent connections closed by preread_timeout');
    t.equal(r.underAttack.ok, r.underAttack.sessions, `all ${r.underAttack.sessions} legitimate sessions during the floods routed, bytes intact`);
    t.equal(r.underAttack.wrongBackend, 0, "each on its account's backend");
    t.equal(r.dribble.intact, 20, 'headers sent one byte per segment reach the backend whole');
    const [first, second] = r.rssKiB.rounds;
    t.ok(second.peakKiB - r.rssKiB.before < 1.5 * (first.peakKiB - r.rssKiB.before) + 4096,
      `memory bounded: RSS ${r.rssKiB.before} KiB, peak ${first.peakKiB} KiB in round 1, ${second.peakKiB} KiB in round 2`);
    t.equal(r.tally.mismatches + r.tally.foreignBytes, 0, 'no byte lost or changed');
    noCrash(t, r);
    t.same(r.problems, [], 'no problems');
  });

  t.test('qjs: reload with 1,000 live sessions', async (t) => {
    const r = await reloadUnderLoad('nginx', { live: 1000, reloads: 2, arrivalGapMs: 20 });
    t.comment(JSON.stringify({ reloads: r.reloads, arrivals: r.arrivals, moved: r.moved, rssKiB: r.rssKiB }));
    t.equal(r.liveDropped, 0, 'no live session dropped by the reloads');
    t.equal(r.liveIntact, 1000, 'every live session: every byte back, before and after the reloads');
    t.equal(r.arrivals.failed, 0, `all ${r.arrivals.total} new sessions served`);
    t.equal(r.arrivals.misrouted, 0, 'new sessions at the old home before the reload, at the new home after');
    t.same(Object.keys(r.movedTo), ['c2s-4'], 'accounts moved only to the new backend');
    t.equal(r.tally.mismatches + r.tally.foreignBytes, 0, 'no byte lost or changed');
    noCrash(t, r);
    t.same(r.problems, [], 'no problems');
  });
}
