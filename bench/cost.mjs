// npm run bench: what jidroute costs per connection, next to the plain
// proxies, the floor (the least an njs/Lua routing module can cost) and the
// hand-written regex peer, in one run, alternating, several rounds; then the
// core micro-benchmarks (bench/core.mjs). Writes bench/results/cost.{json,md,svg}.
// Options: node bench/cost.mjs --help
import { join, resolve } from 'node:path';
import { chmodSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { ROOT } from '../harness/proxies.mjs';
import { sleep, waitFor, retryOnPortClash } from '../harness/procs.mjs';
import { parseArgs, median, writeResults } from '../harness/args.mjs';
import { CONFIGS, prepareConfig } from './lib/configs.mjs';
import { buildLoadgen, machineInfo, gitState, loadavg, busyShare } from '../harness/machine.mjs';
import { rssKiB } from '../harness/proc-stats.mjs';
import { writeLoadFiles, runLoad, withProxy } from './lib/load.mjs';
import { costMarkdown, costSvg } from './lib/report.mjs';
import { runCoreBench } from './core.mjs';
import { checkRegexPeer } from './lib/peer-check.mjs';
import { proxySources, hasValgrind } from './lib/line.mjs';

const DEFAULTS = {
  rounds: 3,            // each configuration once per round, order rotated
  duration: 2,          // s of saturation measured per configuration and round
  warmup: 0.5,          // s of load before the measured window
  concurrency: 32,      // connections in flight at saturation
  rate: 1000,           // connections/s for the latency run (moderate)
  rateDuration: 2,      // s of the latency run
  idle: 2000,           // idle connections for the memory figure (0: skip)
  idleHold: 1,          // s the idle connections stay open
  configs: 'all',       // comma-separated ids or prefixes (nginx, haproxy-floor, ...)
  callgrind: -1,        // connections per configuration under callgrind (0: skip; -1: 300 where
                        // valgrind runs where the proxies run: the host or their root)
  core: 'typical,limit,bytewise,linear', // core micro-benchmarks (or 'none')
  coreTime: 0.4,        // s per micro-benchmark measurement
  chroot: process.env.JIDROUTE_CHROOT || '', // run the proxies from this root
  line: '',             // run the proxies of this release line (harness/lines.mjs: trixie, sid,
                        // sid-qjs) from a copy of its root with valgrind (bench/lib/line.mjs)
  haproxy: '',          // another HAProxy binary on the host (e.g. the 3.4 build)
  njsModule: '',        // another njs module in place of dist/jidroute.js (variants)
  luaModule: '',        // another Lua file in place of dist/jidroute.lua
  proxyCpu: 0,
  loadCpu: 1,
  waitQuiet: 0,         // s to wait (at most) for loadavg below quietLoad first
  quietLoad: 1.0,
  out: 'bench/results', // '' writes nothing
  name: 'cost',         // file names under out/
  render: '',           // only write FILE.md and FILE.svg again from FILE.json
  help: false,
};

const opts = parseArgs(process.argv.slice(2), DEFAULTS);
// A one-core machine (a small CI runner) runs everything on CPU 0: the
// figures are then no measure, but the benchmark still runs.
const cpuCount = (await import('node:os')).cpus().length;
if (opts.proxyCpu >= cpuCount) opts.proxyCpu = 0;
if (opts.loadCpu >= cpuCount) opts.loadCpu = 0;
if (opts.help) {
  console.log('node bench/cost.mjs [--option value ...]\n' +
    Object.entries(DEFAULTS).map(([k, v]) => `  --${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} (${JSON.stringify(v)})`).join('\n'));
  process.exit(0);
}

function selectConfigs(spec) {
  if (spec === 'all') return CONFIGS;
  const wanted = spec.split(',').map((s) => s.trim()).filter(Boolean);
  const chosen = CONFIGS.filter((c) => wanted.some((w) => c.id === w || c.id.startsWith(w + '-') || c.proxy === w));
  if (!chosen.length) throw new Error(`no configuration matches ${spec}`);
  return chosen;
}

function errorLines(prepared) {
  const text = prepared.kind === 'nginx'
    ? readFileSafe(join(prepared.dir, 'logs/error.log'))
    : readFileSafe(join(prepared.dir, 'output.log'));
  return text.split('\n')
    .filter((l) => /js exception|\[alert\]|\[emerg\]|\[crit\]|\[error\]|ALERT|jidroute:/.test(l))
    // Not the load: HAProxy's master reporting the worker it stopped, and
    // nginx on the port probe (connection 1 connects and closes in silence).
    .filter((l) => !/exited with code 143|\*1 pending events while prereading/.test(l));
}

function readFileSafe(f) {
  try { return readFileSync(f, 'utf8'); } catch { return ''; }
}

const log = (...a) => console.error(...a);

async function waitForQuiet() {
  if (!opts.waitQuiet) return;
  const until = Date.now() + opts.waitQuiet * 1000;
  while (Date.now() < until && loadavg() > opts.quietLoad) {
    log(`waiting for a quieter machine: loadavg ${loadavg()} > ${opts.quietLoad}`);
    await sleep(15000);
  }
}

/** One round of one configuration: the idle-memory run (first round only,
 * on the freshly started proxy), saturation, then the latency run. */
async function measureRound(prepared, ctx, { idle }) {
  return withProxy(prepared, ctx, async ({ worker, serve }) => {
    const target = ['--connect', `127.0.0.1:${prepared.port}`, '--headers', ctx.files.headersFile];
    let memory;
    if (idle) memory = await measureIdle(worker, target, ctx);
    const sat = await runLoad(ctx.loadgen, opts.loadCpu, [...target, '--mode', 'sat', '--concurrency', opts.concurrency,
      '--duration', opts.duration, '--warmup', opts.warmup, '--watch', worker, '--watch', serve.pid]);
    const lat = await runLoad(ctx.loadgen, opts.loadCpu, [...target, '--mode', 'rate', '--rate', opts.rate,
      '--concurrency', 5000, '--duration', opts.rateDuration, '--warmup', 0.3, '--watch', worker]);
    const window = sat.window_s;
    return {
      connPerS: sat.conn_per_s,
      cpuUsPerConn: sat.done_window ? (sat.watch[0].cpu_s / sat.done_window) * 1e6 : NaN,
      proxyBusy: sat.watch[0].cpu_s / window,
      loadBusy: (sat.self_cpu_s + sat.watch[1].cpu_s) / window,
      failures: sat.errors + sat.timeouts + sat.connect_errors + lat.errors + lat.timeouts + lat.connect_errors +
        (memory ? memory.failures : 0),
      p50Ms: lat.latency_us.p50 / 1000,
      p99Ms: lat.latency_us.p99 / 1000,
      rateAchieved: lat.conn_per_s,
      rateLate: lat.late,
      rateCpuUsPerConn: lat.done_window ? (lat.watch[0].cpu_s / lat.done_window) * 1e6 : NaN,
      memory,
    };
  });
}

/** Resident memory the proxy worker gains per idle connection. */
async function measureIdle(worker, target, ctx) {
  // A few connections first, so that start-up allocations are not counted.
  await runLoad(ctx.loadgen, opts.loadCpu, [...target, '--mode', 'rate', '--rate', 200, '--duration', 0.2, '--warmup', 0]);
  await sleep(200);
  const before = rssKiB(worker);
  let after = NaN;
  const r = await runLoad(ctx.loadgen, opts.loadCpu, [...target, '--mode', 'idle', '--idle', opts.idle, '--rate', 4000,
    '--concurrency', opts.idle, '--hold', opts.idleHold, '--duration', 20],
    { onLine: (line) => { if (line === 'ready') after = rssKiB(worker); } });
  return {
    idle: r.idle_answered, rssBeforeKiB: before, rssAfterKiB: after, bytesPerConn: ((after - before) * 1024) / opts.idle,
    failures: r.errors + r.timeouts + r.connect_errors + (opts.idle - r.idle_answered),
  };
}

/**
 * Instructions the proxy worker executes per connection, under callgrind:
 * two runs, of N and 3N connections, and the difference over 2N, so that
 * start-up and shutdown cancel out. (callgrind_control cannot reach a worker
 * blocked in epoll_wait here, so the counts come from the dumps at exit.)
 */
async function measureCallgrind(prepared, ctx, outDir) {
  const dir = join(outDir, prepared.config.id);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o777); // nginx's worker runs as nobody and writes its own dump
  const totals = [];
  for (const n of [opts.callgrind, 3 * opts.callgrind]) {
    const wrap = ['valgrind', '--tool=callgrind', '--trace-children=yes', `--callgrind-out-file=${dir}/callgrind.out.%p`];
    const worker = await withProxy(prepared, { ...ctx, wrap }, async ({ worker }) => {
      const r = await runLoad(ctx.loadgen, opts.loadCpu, ['--connect', `127.0.0.1:${prepared.port}`,
        '--headers', ctx.files.headersFile, '--mode', 'sat', '--count', n, '--concurrency', 4,
        '--duration', 110, '--warmup', 0, '--timeout', 30], { timeoutMs: 300000 });
      if (r.done !== n) throw new Error(`callgrind run of ${prepared.config.id}: ${r.done} of ${n} connections done`);
      return worker;
    });
    const file = join(dir, `callgrind.out.${worker}`);
    await waitFor(() => readFileSafe(file).match(/^totals:\s+(\d+)/m), { timeoutMs: 30000, what: `callgrind dump ${file}` });
    const total = Number(readFileSafe(file).match(/^totals:\s+(\d+)/m)[1]);
    totals.push({ n, total, file });
  }
  const perConn = (totals[1].total - totals[0].total) / (totals[1].n - totals[0].n);
  const annotate = execFileSync('callgrind_annotate', ['--inclusive=no', '--threshold=99', totals[1].file],
    { encoding: 'utf8', maxBuffer: 64 << 20 });
  writeFileSync(join(dir, 'profile.txt'), annotate);
  return { instructionsPerConn: perConn, runs: totals.map(({ n, total }) => ({ n, total })), profile: join(dir, 'profile.txt') };
}

async function main() {
  if (opts.render) {
    const base = opts.render.replace(/\.json$/, '');
    const result = JSON.parse(readFileSync(`${base}.json`, 'utf8'));
    writeFileSync(`${base}.md`, costMarkdown(result));
    writeFileSync(`${base}.svg`, costSvg(result));
    log(`wrote ${base}.{md,svg}`);
    return;
  }
  const started = Date.now();
  const configs = selectConfigs(opts.configs);
  const loadgen = buildLoadgen();
  const files = writeLoadFiles();
  const chroot = opts.chroot || undefined;
  // The line's nginx config (js_engine qjs on sid-qjs) comes from
  // harness/lines.mjs as in the tests.
  if (opts.line) process.env.JIDROUTE_LINE = opts.line;
  // The core micro-benchmarks run the host's njs and Lua whatever the line:
  // in a line's results they would repeat the host's figures as the line's.
  if (opts.line && !process.argv.includes('--core')) {
    opts.core = 'none';
    log(`bench: no core micro-benchmarks under --line (they run the host's njs and Lua; --core to run them)`);
  }
  const runs = await proxySources(opts, log);
  const proxies = [...new Set(configs.map((c) => c.proxy))];
  // The instruction counts are the figures that repeat on a shared machine,
  // so `npm run bench` takes them unless it cannot: valgrind runs where the
  // proxies run (on the host, or inside their root).
  const noValgrind = proxies.filter((p) => !hasValgrind(runs[p])).map((p) => runs[p].root || 'the host');
  if (opts.callgrind < 0) {
    opts.callgrind = noValgrind.length ? 0 : 300;
    if (noValgrind.length) log(`bench: no instruction counts (valgrind missing in ${[...new Set(noValgrind)].join(', ')})`);
  } else if (opts.callgrind > 0 && noValgrind.length) {
    throw new Error(`--callgrind: valgrind missing in ${[...new Set(noValgrind)].join(', ')} ` +
      '(--line NAME makes a root with it; or: chroot DIR apt-get install valgrind)');
  }
  const ctx = { loadgen, files, proxyCpu: opts.proxyCpu, loadCpu: opts.loadCpu, chroot, runs };
  await waitForQuiet();
  const machine = machineInfo({ chroot, runs });
  machine.busyBefore = await busyShare(1000);
  log(`bench: ${configs.length} configurations x ${opts.rounds} rounds; load avg ${machine.loadavg}; ` +
    `cores busy before: ${(machine.busyBefore * 100).toFixed(0)}%`);

  const prepared = new Map();
  const modules = { nginx: opts.njsModule ? resolve(opts.njsModule) : undefined, haproxy: opts.luaModule ? resolve(opts.luaModule) : undefined };
  for (const c of configs) prepared.set(c.id, await prepareConfig(c, modules));
  // The ports were free when the configuration was written; on a shared
  // machine another program may have taken one since. Then write it again
  // with other ports and start over (a configuration that cannot start at
  // all still fails, on the third attempt).
  const onFreshPorts = (c, fn) => retryOnPortClash(async (attempt) => {
    if (attempt > 1) {
      log(`${c.id}: a port was taken; again on other ports`);
      prepared.set(c.id, await prepareConfig(c, modules));
    }
    return fn(prepared.get(c.id));
  });

  const rounds = [];
  for (let r = 0; r < opts.rounds; r++) {
    const order = configs.map((_, i) => configs[(i + r) % configs.length]);
    if (r % 2) order.reverse();
    const round = {};
    for (const c of order) {
      round[c.id] = await onFreshPorts(c, (p) => measureRound(p, ctx, { idle: r === 0 && opts.idle > 0 }));
      const m = round[c.id];
      log(`round ${r + 1} ${c.id.padEnd(24)} ${m.connPerS.toFixed(0).padStart(6)} conn/s  ` +
        `${m.cpuUsPerConn.toFixed(1).padStart(6)} us/conn  proxy ${(m.proxyBusy * 100).toFixed(0)}%  ` +
        `load ${(m.loadBusy * 100).toFixed(0)}%  p50 ${m.p50Ms.toFixed(2)} p99 ${m.p99Ms.toFixed(2)} ms` +
        (m.memory ? `  idle ${(m.memory.bytesPerConn / 1024).toFixed(1)} KiB/conn` : '') +
        (m.failures ? `  FAILURES ${m.failures}` : ''));
    }
    rounds.push(round);
  }

  const idle = {};
  if (rounds.length) for (const c of configs) if (rounds[0][c.id].memory) idle[c.id] = rounds[0][c.id].memory;

  const callgrind = {};
  if (opts.callgrind > 0) {
    const cgDir = join(resolve(ROOT, opts.out || 'bench/results'), 'callgrind');
    rmSync(cgDir, { recursive: true, force: true });
    for (const c of configs) {
      callgrind[c.id] = await onFreshPorts(c, (p) => measureCallgrind(p, ctx, cgDir));
      log(`callgrind ${c.id.padEnd(24)} ${(callgrind[c.id].instructionsPerConn / 1000).toFixed(1)}k instructions/conn`);
    }
  }

  const errors = {};
  for (const c of configs) {
    const lines = errorLines(prepared.get(c.id)); // the last attempt's logs
    if (lines.length) errors[c.id] = lines.slice(0, 5);
  }

  let core;
  if (opts.core !== 'none') core = await runCoreBench({ only: opts.core, seconds: opts.coreTime, log });

  const regexPeer = await checkRegexPeer();
  machine.busyAfter = await busyShare(1000);
  machine.loadavgAfter = readFileSync('/proc/loadavg', 'utf8').trim();
  const result = summarise({ configs, rounds, idle, callgrind, errors, core, machine, seconds: (Date.now() - started) / 1000 });
  result.regexPeer = regexPeer;
  result.git = gitState();
  const md = costMarkdown(result);
  console.log(md);
  if (opts.out) log(`wrote ${writeResults(opts.out, opts.name, { json: result, md, svg: costSvg(result) })}`);
}

/** Medians over rounds, and ratios taken within each round (neighbours in
 * time, so that the machine's drift cancels) before their median. */
function summarise({ configs, rounds, idle, callgrind, errors, core, machine, seconds }) {
  const byId = Object.fromEntries(configs.map((c) => [c.id, c]));
  const rows = configs.map((c) => {
    const per = rounds.map((r) => r[c.id]);
    const ref = (variant) => `${c.proxy}-${variant}`;
    const ratio = (variant, f) => (byId[ref(variant)] ? median(rounds.map((r) => f(r[c.id], r[ref(variant)]))) : NaN);
    const row = {
      id: c.id, proxy: c.proxy, variant: c.variant, label: c.label,
      connPerS: median(per.map((m) => m.connPerS)),
      cpuUsPerConn: median(per.map((m) => m.cpuUsPerConn)),
      proxyBusy: median(per.map((m) => m.proxyBusy)),
      loadBusy: median(per.map((m) => m.loadBusy)),
      p50Ms: median(per.map((m) => m.p50Ms)),
      p99Ms: median(per.map((m) => m.p99Ms)),
      failures: per.reduce((a, m) => a + m.failures, 0),
      // Throughput relative to the plain proxy and to the floor: conn/s
      // ratio, and the same from CPU time (reference CPU / this CPU), which
      // holds even where the load generator, not the proxy, was the limit.
      connVsPlain: ratio('plain', (a, b) => a.connPerS / b.connPerS),
      connVsFloor: ratio('floor', (a, b) => a.connPerS / b.connPerS),
      cpuVsPlain: ratio('plain', (a, b) => b.cpuUsPerConn / a.cpuUsPerConn),
      cpuVsFloor: ratio('floor', (a, b) => b.cpuUsPerConn / a.cpuUsPerConn),
      cpuVsRegex: ratio('regex', (a, b) => b.cpuUsPerConn / a.cpuUsPerConn),
      connVsRegex: ratio('regex', (a, b) => a.connPerS / b.connPerS),
      addedP99MsVsPlain: ratio('plain', (a, b) => a.p99Ms - b.p99Ms),
      addedP50MsVsPlain: ratio('plain', (a, b) => a.p50Ms - b.p50Ms),
      rounds: per.map(({ memory, ...m }) => m),
    };
    if (idle[c.id]) {
      row.idleBytesPerConn = idle[c.id].bytesPerConn;
      row.idle = idle[c.id];
    }
    if (callgrind[c.id]) row.instructionsPerConn = callgrind[c.id].instructionsPerConn;
    return row;
  });
  const get = (id) => rows.find((r) => r.id === id);
  for (const row of rows) {
    const plain = get(`${row.proxy}-plain`);
    const floor = get(`${row.proxy}-floor`);
    if (plain && row.idleBytesPerConn !== undefined && plain.idleBytesPerConn) row.idleVsPlain = row.idleBytesPerConn / plain.idleBytesPerConn;
    if (floor && row.idleBytesPerConn !== undefined && floor.idleBytesPerConn) row.idleVsFloor = row.idleBytesPerConn / floor.idleBytesPerConn;
    if (plain?.instructionsPerConn && row.instructionsPerConn) row.instrVsPlain = plain.instructionsPerConn / row.instructionsPerConn;
    if (floor?.instructionsPerConn && row.instructionsPerConn) row.instrVsFloor = floor.instructionsPerConn / row.instructionsPerConn;
  }
  // The targets of issue 10, side by side per platform (bench/README.md,
  // "Targets"): instructions under callgrind and idle memory are the figures
  // that carry across runs on this shared machine; capacity (CPU per
  // connection) and conn/s depend on the load others put on it.
  const targets = [];
  const add = (what, value, limit, met, unit = '') => targets.push({ what, value, limit, unit, met: Number.isFinite(value) ? met : false });
  for (const row of rows.filter((r) => r.variant === 'jidroute')) {
    const floor = get(`${row.proxy}-floor`);
    const regex = get(`${row.proxy}-regex`);
    if (row.proxy === 'nginx') {
      if (row.instructionsPerConn !== undefined) {
        add(`${row.id}: instructions/conn <= 100k`, row.instructionsPerConn / 1000, 100, row.instructionsPerConn <= 100000, 'k');
        if (regex?.instructionsPerConn) {
          const r = row.instructionsPerConn / regex.instructionsPerConn;
          add(`${row.id}: instructions < 0.8x the regex peer's`, r, 0.8, r < 0.8, 'x');
        }
      }
      if (row.idleBytesPerConn !== undefined && floor?.idleBytesPerConn !== undefined) {
        const added = (row.idleBytesPerConn - floor.idleBytesPerConn) / 1024;
        add(`${row.id}: idle memory <= the floor's + 12 KiB`, added, 12, added <= 12, ' KiB above');
      }
    } else {
      if (row.instructionsPerConn !== undefined && floor?.instructionsPerConn) {
        const r = row.instructionsPerConn / floor.instructionsPerConn;
        add(`${row.id}: instructions <= 2x the Lua floor's`, r, 2, r <= 2, 'x');
      }
      if (row.idleBytesPerConn !== undefined) {
        add(`${row.id}: idle memory <= 6 KiB/conn`, row.idleBytesPerConn / 1024, 6, row.idleBytesPerConn <= 6 * 1024, ' KiB');
      }
    }
    add(`${row.id}: capacity >= 0.9x of its floor (CPU per connection)`, row.cpuVsFloor, 0.9, row.cpuVsFloor >= 0.9, 'x');
  }
  // The costliest input under the default limit (non-ASCII parts included):
  // the dearest of bench/core.mjs's constructed headers, per runtime.
  const limits = (core?.results || []).filter((e) => e.case.startsWith('limit'));
  for (const runtime of [...new Set(limits.map((e) => e.runtime))]) {
    const dearest = limits.filter((e) => e.runtime === runtime).sort((a, b) => a.perSecond - b.perSecond)[0];
    const ms = 1000 / dearest.perSecond;
    add(`${runtime}: the costliest header under the limit (8,100 bytes, non-ASCII JID; dearest of ${limits.filter((e) => e.runtime === runtime).length}: ${dearest.case.replace(/^limit: /, '')}) <= 2 ms CPU`, ms, 2, ms <= 2, ' ms');
  }
  const linearKeys = [...new Set((core?.linear || []).map((e) => `${e.runtime}, ${e.feed}`))];
  for (const k of linearKeys.filter((x) => !x.includes('prefixes'))) {
    const cells = core.linear.filter((e) => `${e.runtime}, ${e.feed}` === k).sort((x, y) => x.size - y.size);
    if (cells.length < 2) continue;
    const ratio = cells[cells.length - 1].nsPerByte / cells[0].nsPerByte;
    add(`${k}: linear (ns/byte at ${cells[cells.length - 1].size} B within 2x of ${cells[0].size} B)`, ratio, 2, ratio <= 2, 'x');
  }
  return { kind: 'cost', options: opts, machine, seconds, rows, errors, callgrind, core, targets };
}

await main();
