// What an idle connection costs nginx's worker, per njs engine: opens
// `--idle` client sessions through the example njs/nginx.conf (each routed
// by its header, then idle, held open), and reports the worker's RSS before,
// with them all open, and after they closed, in KiB, and the KiB per idle
// connection. Then rounds of truncated headers (harness/hostile/truncated.mjs)
// for whether memory levels off. Runs the nginx of the line JIDROUTE_LINE
// names (harness/lines.mjs): the host's by default; sid (njs engine) or
// sid-qjs (QuickJS, njs >= 0.8.6) for njs 1.0.
//   node bench/engine-memory.mjs [--idle 1000] [--rounds 4] [--module FILE]
// --module: another njs module in jidroute's place (one exporting preread,
// e.g. one that only sets $xmpp_key), for what the engine costs by itself.
//   JIDROUTE_LINE=sid-qjs node bench/engine-memory.mjs
import { startEchoStack } from '../harness/stack.mjs';
import { openSession, clientHeader } from '../harness/sessions.mjs';
import { sleep, addressPool, inParallel } from '../harness/procs.mjs';
import { truncatedRounds, workerRssKiB } from '../harness/hostile/truncated.mjs';
import { parseArgs } from '../harness/args.mjs';
import { dpkgVersion } from '../harness/machine.mjs';
import { join, resolve } from 'node:path';
import { ROOT } from '../harness/proxies.mjs';
import { currentLine, rootDir } from '../harness/lines.mjs';

const o = parseArgs(process.argv.slice(2), { idle: 1000, rounds: 4, module: '' });
const { idle, rounds } = o;
const module = o.module ? resolve(o.module) : null;
const edit = module ? (text) => text.split(join(ROOT, 'dist/jidroute.js')).join(module) : undefined;

/** The packages of the nginx that ran: the line's root (or JIDROUTE_CHROOT). */
function versions() {
  const suite = currentLine().nginx.root;
  const root = suite ? rootDir(suite) : process.env.JIDROUTE_CHROOT;
  return ['nginx', 'libnginx-mod-stream-js', 'libqjs0'].map((p) => `${p}=${dpkgVersion(p, root) ?? ''}`).join(' ');
}

async function idleCost() {
  const stack = await startEchoStack('nginx', { edit });
  try {
    const addr = addressPool(6);
    await sleep(500);
    const before = workerRssKiB(stack);
    const sessions = await inParallel(Array.from({ length: idle }, (_, i) => i), 50, async (i) => {
      const s = await openSession(stack.port, clientHeader(`idle${i}@example.com/r`), { localAddress: addr(), timeoutMs: 30000 });
      if (s.backend) await s.roundTrip(64);
      return s;
    });
    await sleep(1000);
    const open = workerRssKiB(stack);
    const routed = sessions.filter((s) => s.backend).length;
    await Promise.all(sessions.filter((s) => s.backend).map((s) => s.close()));
    await sleep(1000);
    const after = workerRssKiB(stack);
    return { idle: routed, workerRssKiB: { before, open, after }, kibPerIdleConnection: Math.round(((open - before) / routed) * 10) / 10 };
  } finally {
    await stack.stop();
  }
}

const engine = currentLine().nginx.engine;
const idleResult = await idleCost();
const truncated = rounds > 0 ? await truncatedRounds('nginx', { rounds, edit }) : null;
console.log(JSON.stringify({
  versions: versions(), engine, module: module ?? 'dist/jidroute.js', ...idleResult,
  truncatedRounds: truncated && { workerRssBeforeKiB: truncated.workerRssBeforeKiB, afterEachRoundKiB: truncated.rounds.map((r) => r.workerRssKiB), workerCrashes: truncated.workerCrashes },
}, null, 1));
