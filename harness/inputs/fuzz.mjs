// Fuzzing the core: inputs (the shared vectors mutated byte by byte, cut short,
// split at random points; generated and mutated headers; pathological shapes),
// the properties every answer must have, and the JavaScript build (Node) and
// the Lua build (a plain lua5.3/lua5.4 fed many inputs per process) compared
// on every input. Used by test/fuzz-core.test.mjs (seconds) and
// bench/attack/fuzz.mjs (millions of inputs).
import { core } from '../core.mjs';
import { loadVectors } from '../vectors.mjs';
import { random, randomHeader, mutate, randomCuts } from './generate.mjs';
import { helloVectors, mutateHello } from './hellos.mjs';
import { routeJs, answerLine, startLua } from '../builds.mjs';

const ROUTE_BY = new Set(['from', 'to', 'sni', 'addr']);
const STREAMS = new Set(['client', 'server', 'component', 'not-xml', 'restricted-xml', 'malformed', 'too-long',
  'incomplete', 'not-stream', 'unknown-namespace', 'tls-client', 'tls-server']);
const SPECIAL = [0x3c, 0x3e, 0x27, 0x22, 0x26, 0x3b, 0x3d, 0x20, 0x40, 0x2f, 0x3a, 0x00, 0x80, 0xc3, 0xef, 0xff, 0x23, 0x78, 0x0a, 0x3f, 0x21];
const ADDRESSES = ['127.0.0.7', '::1', '2001:db8::7', '10.1.2.3'];
const LIMITS = [undefined, undefined, undefined, '256', '300', '1024', '8192', '65536', '99999999', 'x', ''];

// ---------------------------------------------------------------- inputs

/** Positions of a vector to mutate: every one of a short vector; the first
 * and last 256 and every 64th between of a long one (the 8 KiB vectors are
 * about the header limit, and all 255 other values at every one of their
 * positions would be 20 GiB of input for little more). */
function positions(length, everyUpTo) {
  if (length <= everyUpTo) return Array.from({ length }, (_, i) => i);
  const out = [];
  for (let i = 0; i < length; i++) if (i < 256 || i >= length - 256 || i % 64 === 0) out.push(i);
  return out;
}

/**
 * Every input of one run, lazily. `values` is how many replacement bytes
 * each position of a short vector gets: 255 (every other byte value) in the
 * long run, a few in the quick one; `sample` is the share of positions used
 * (1 in the long run).
 */
export function* fuzzCases({ seed, values = 255, everyUpTo = 1200, sample = 1, generated = 0, pathological = 0, hellos = 0 }) {
  const rng = random(seed);
  const tlsHellos = helloVectors();
  const vectors = [...loadVectors('development'), ...loadVectors('heldout'), ...tlsHellos];
  const pickAddress = () => rng.pick(ADDRESSES);
  const cutsFor = (length) => randomCuts(rng, length);
  for (const v of vectors) {
    const policy = v.policy ?? 'bare';
    const b = v.bytes;
    yield { family: 'vector', bytes: b, policy, address: pickAddress(), cuts: [] };
    yield { family: 'vector-split-every-byte', bytes: b, policy, address: pickAddress(), cuts: Array.from({ length: Math.min(b.length, 2048) }, (_, i) => i) };
    const short = b.length <= everyUpTo;
    for (const at of positions(b.length, everyUpTo)) {
      if (sample < 1 && !rng.chance(sample)) continue;
      // Every other byte value at this position (or a few, chosen from the
      // bytes XML cares about and random ones).
      const n = short ? values : Math.min(values, 4);
      const start = rng.int(256);
      for (let k = 0; k < n; k++) {
        let value = n >= 255 ? (b[at] + 1 + k) & 0xff : (k % 2 === 0 ? SPECIAL[(start + k) % SPECIAL.length] : (start + 7 * k) & 0xff);
        if (value === b[at]) value = (value + 1) & 0xff;
        const bytes = Buffer.from(b);
        bytes[at] = value;
        yield { family: 'vector-byte', bytes, policy, address: pickAddress(), cuts: cutsFor(bytes.length) };
      }
      yield { family: 'vector-truncated', bytes: b.subarray(0, at), policy, address: pickAddress(), cuts: cutsFor(at) };
      const dropped = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
      yield { family: 'vector-byte-dropped', bytes: dropped, policy, address: pickAddress(), cuts: cutsFor(dropped.length) };
      const inserted = Buffer.concat([b.subarray(0, at), Buffer.from([rng.pick(SPECIAL)]), b.subarray(at)]);
      yield { family: 'vector-byte-inserted', bytes: inserted, policy, address: pickAddress(), cuts: cutsFor(inserted.length) };
      if (rng.chance(0.1)) {
        const other = policy === 'domain' ? 'bare' : 'domain';
        yield { family: 'vector-other-policy', bytes: b, policy: other, limit: rng.pick(LIMITS), address: pickAddress(), cuts: [at] };
      }
    }
  }
  for (let i = 0; i < generated; i++) {
    const header = Buffer.from(randomHeader(rng).text, 'utf8');
    let bytes = header;
    let family = 'generated';
    if (rng.chance(0.6)) { bytes = mutate(rng, header); family = 'generated-mutated'; }
    if (rng.chance(0.1)) { bytes = Buffer.concat([bytes, Buffer.from(rng.pick(['<message/>', ' ', '\0', '\r\n', '<']))]); }
    const limit = rng.chance(0.2) ? rng.pick(LIMITS) : undefined;
    yield { family, bytes, policy: rng.chance(0.5) ? 'bare' : 'domain', limit, address: pickAddress(), cuts: cutsFor(bytes.length) };
  }
  // TLS ClientHellos mutated where their structure is (harness/inputs/hellos.mjs).
  for (let i = 0; i < hellos; i++) {
    let bytes = rng.pick(tlsHellos).bytes;
    for (let k = 1 + rng.int(3); k > 0; k--) bytes = mutateHello(rng, bytes);
    const limit = rng.chance(0.2) ? rng.pick(LIMITS) : undefined;
    yield { family: 'hello-mutated', bytes, policy: rng.chance(0.5) ? 'bare' : 'domain', limit, address: pickAddress(), cuts: cutsFor(bytes.length) };
  }
  for (let i = 0; i < pathological; i++) {
    const bytes = pathologicalHeader(rng, i);
    // Byte by byte for the short ones (as a slow client sends), else in pieces.
    const cuts = bytes.length <= 1500 && rng.chance(0.5)
      ? Array.from({ length: bytes.length }, (_, k) => k)
      : cutsFor(bytes.length);
    yield { family: 'pathological', bytes, policy: rng.chance(0.5) ? 'bare' : 'domain', limit: rng.pick(LIMITS), address: pickAddress(), cuts };
  }
}

/** Shapes that cost a careless parser: long values, many attributes, many
 * references, long names, unclosed declarations, everything at the limit. */
export function pathologicalHeader(rng, i) {
  const open = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'";
  const size = rng.pick([200, 1000, 4000, 8000, 8191, 8192, 8193, 16000, 65600]);
  const fill = (unit) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
  const shapes = [
    () => `${open} from='${fill('a')}@example.com'>`,
    () => `${open} from='${fill('&#x10FFFF;')}@example.com'>`,
    () => `${open} from='u@${fill('a.')}example'>`,
    () => `${open}${fill(" a='b'")}>`,
    () => `${open} ${fill('x')}='1'>`,
    () => `<?xml version='1.0' ${fill(' ')}?>${open}>`,
    () => `<?xml version='1.0'${fill('?')}`,
    () => `${open} from='${fill('&amp;')}'>`,
    () => `${open} from='${fill('>')}'`,
    () => fill('<'),
    () => fill(' ') + open + '>',
    () => `<${fill('s')}:stream>`,
    () => `${open} from='${fill('İ')}@example.com' to='example.com'>`,
    () => `${open} ${fill(' xmlns:p=\'u\'')}>`,
    () => '\ufeff'.repeat(1 + rng.int(3)) + open + '>',
    () => `${open} from='${fill('\u00df')}@example.com'/>`,
  ];
  return Buffer.from(shapes[i % shapes.length](), 'utf8');
}

// ---------------------------------------------------------------- properties

/** What is wrong with a route (an empty list when nothing is). */
export function checkRoute(r, c) {
  const problems = [];
  if (!ROUTE_BY.has(r.routeBy)) problems.push(`routeBy ${JSON.stringify(r.routeBy)}`);
  if (!STREAMS.has(r.stream)) problems.push(`stream ${JSON.stringify(r.stream)}`);
  if (r.routeBy === 'addr') {
    if (r.key !== c.address) problems.push('routed by address but the key is not the address');
  } else if (r.key === '') {
    problems.push('empty key');
  }
  for (const [name, value] of [['key', r.key], ['from', r.from], ['to', r.to]]) {
    if (!isUtf8(value)) problems.push(`${name} is not UTF-8`);
  }
  if (r.from !== '') {
    const again = core.parseBareJid(r.from);
    if (!again || core.bareJidString(again) !== r.from) problems.push('from is not a normalised bare JID');
  }
  if (r.to !== '') {
    const again = core.parseBareJid(r.to);
    if (!again || again.local !== '' || again.domain !== r.to) problems.push('to is not a normalised domain');
  }
  if (r.routeBy === 'from') {
    const domain = r.from.substring(r.from.indexOf('@') + 1);
    if (r.key !== (c.policy === 'domain' ? domain : r.from)) problems.push('key does not follow from');
  }
  if ((r.routeBy === 'to' || r.routeBy === 'sni') && r.key !== r.to) problems.push(`key does not follow ${r.routeBy}`);
  if ((r.routeBy === 'sni') !== (r.stream.startsWith('tls-') && r.routeBy !== 'addr')) problems.push('sni without a TLS hello');
  if (r.routeBy === 'sni' && r.stream === 'tls-client' && c.policy !== 'domain') problems.push('a client hello keyed on its name under the bare policy');
  if (r.stream.startsWith('tls-') && r.from !== '') problems.push('a TLS hello with a from');
  return problems;
}

function isUtf8(byteString) {
  const b = Buffer.from(byteString, 'latin1');
  return Buffer.from(b.toString('utf8'), 'utf8').equals(b);
}

// ---------------------------------------------------------------- a run

/** The `size` largest by `score`, kept as they come. */
function worstList(size) {
  const items = [];
  return {
    items,
    offer(score, item) {
      if (items.length === size && score <= items[items.length - 1].score) return;
      items.push({ score, ...item });
      items.sort((a, b) => b.score - a.score);
      if (items.length > size) items.pop();
    },
  };
}

const MIN_TIMED_LENGTH = 256; // below this a case's fixed cost hides the per-byte one

/**
 * Runs every case through the JavaScript build (whole, and in the case's
 * pieces) and the Lua build; checks the properties; counts. Batches go to the
 * interpreters in turn, so each input is compared with one Lua build and both
 * Lua versions see half of the inputs. `onBatch` sees the running totals
 * after each batch; a run stops early after `maxMs`.
 *
 * Time per byte: every case is timed (JS with hrtime, Lua with os.clock), and
 * the slowest per byte are timed again at the end, five times each, keeping
 * the fastest: a garbage collection or another process taking the CPU makes
 * one timing slow, never five.
 */
export async function fuzzRun({ cases, interpreters = ['lua5.4'], batchSize = 4000, maxMs = Infinity, onBatch = () => {}, keepFailures = 20 }) {
  const luas = interpreters.map(startLua);
  const stats = {
    inputs: 0, bytes: 0, exceptions: 0, luaErrors: 0, invalid: 0, splitDiffers: 0, buildsDiffer: 0,
    families: {}, stream: {}, routeBy: {}, luaCompared: {}, failures: [], stoppedEarly: false,
    jsMs: 0, ms: 0,
  };
  for (const l of luas) stats.luaCompared[l.interpreter] = 0;
  // The slowest per byte of each family: first timings are noisy (a garbage
  // collection, another process), so a single list would fill with noise.
  const perFamily = () => {
    const lists = new Map();
    return {
      offer(score, item) {
        if (!lists.has(item.c.family)) lists.set(item.c.family, worstList(4));
        lists.get(item.c.family).offer(score, item);
      },
      get items() { return [...lists.values()].flatMap((l) => l.items); },
    };
  };
  const worstJs = perFamily();
  const worstLua = perFamily();
  const started = Date.now();
  const fail = (kind, c, detail) => {
    if (stats.failures.length < keepFailures) {
      stats.failures.push({ kind, family: c.family, policy: c.policy, limit: c.limit, address: c.address, cuts: c.cuts.slice(0, 50), input: c.bytes.toString('hex').slice(0, 4000), detail });
    }
  };
  let batchNo = 0;
  try {
    let batch = [];
    const flush = async () => {
      if (batch.length === 0) return;
      // Lua works in its own process while Node routes the same batch here.
      const lua = luas[batchNo++ % luas.length];
      const luaAnswers = lua.run(batch);
      const t0 = process.hrtime.bigint();
      const js = batch.map((c) => {
        const bytes = c.bytes.toString('latin1');
        const s = process.hrtime.bigint();
        let r;
        try {
          r = routeJs(c, bytes);
        } catch (e) {
          stats.exceptions++;
          fail('exception', c, String((e && e.stack) || e));
          return null;
        }
        if (c.bytes.length >= MIN_TIMED_LENGTH) worstJs.offer(Number(process.hrtime.bigint() - s) / c.bytes.length, { c });
        return r;
      });
      stats.jsMs += Number(process.hrtime.bigint() - t0) / 1e6;
      const answers = await luaAnswers;
      if (answers.length !== batch.length) throw new Error(`${lua.interpreter} answered ${answers.length} of ${batch.length}`);
      for (let i = 0; i < batch.length; i++) {
        const c = batch[i];
        stats.inputs++;
        stats.bytes += c.bytes.length;
        stats.families[c.family] = (stats.families[c.family] || 0) + 1;
        const r = js[i];
        const a = answers[i];
        if (a.error) { stats.luaErrors++; fail('lua error', c, a.error); continue; }
        if (c.bytes.length >= MIN_TIMED_LENGTH) worstLua.offer(a.us * 1000 / c.bytes.length, { c, interpreter: lua.interpreter });
        if (r === null) continue;
        stats.stream[r.stream] = (stats.stream[r.stream] || 0) + 1;
        stats.routeBy[r.routeBy] = (stats.routeBy[r.routeBy] || 0) + 1;
        const problems = checkRoute(r, c);
        if (problems.length) { stats.invalid++; fail('invalid answer', c, problems.join('; ')); }
        const jsLine = answerLine(r);
        if (c.cuts.length) {
          const whole = answerLine(routeJs({ ...c, cuts: [] }));
          if (whole !== jsLine) { stats.splitDiffers++; fail('pieces change the answer', c, { whole, pieces: jsLine }); }
        }
        const luaLine = a.answer;
        stats.luaCompared[lua.interpreter]++;
        if (luaLine !== jsLine) { stats.buildsDiffer++; fail('builds differ', c, { js: jsLine, lua: luaLine, interpreter: lua.interpreter }); }
      }
      batch = [];
      stats.ms = Date.now() - started;
      onBatch(stats);
    };
    for (const c of cases) {
      batch.push(c);
      if (batch.length >= batchSize) {
        await flush();
        if (Date.now() - started > maxMs) { stats.stoppedEarly = true; break; }
      }
    }
    if (!stats.stoppedEarly) await flush();

    stats.timePerByte = { js: [], lua: [] };
    for (const w of worstJs.items) {
      const bytes = w.c.bytes.toString('latin1');
      let best = Infinity;
      for (let k = 0; k < 5; k++) {
        const s = process.hrtime.bigint();
        routeJs(w.c, bytes);
        best = Math.min(best, Number(process.hrtime.bigint() - s));
      }
      stats.timePerByte.js.push(describeTimed(w, best / w.c.bytes.length));
    }
    for (const w of worstLua.items) {
      const lua = luas.find((l) => l.interpreter === w.interpreter);
      const again = await lua.run([w.c, w.c, w.c, w.c, w.c]);
      const best = Math.min(...again.map((a) => a.us));
      stats.timePerByte.lua.push({ ...describeTimed(w, best * 1000 / w.c.bytes.length), interpreter: w.interpreter });
    }
    stats.timePerByte.js = stats.timePerByte.js.sort((a, b) => b.nsPerByte - a.nsPerByte).slice(0, 10);
    stats.timePerByte.lua = stats.timePerByte.lua.sort((a, b) => b.nsPerByte - a.nsPerByte).slice(0, 10);
  } finally {
    await Promise.all(luas.map((l) => l.stop()));
  }
  stats.ms = Date.now() - started;
  return stats;
}

function describeTimed(w, nsPerByte) {
  return {
    nsPerByte: Math.round(nsPerByte * 10) / 10,
    firstSeenNsPerByte: Math.round(w.score * 10) / 10,
    family: w.c.family,
    length: w.c.bytes.length,
    pieces: w.c.cuts.length + 1,
    start: w.c.bytes.subarray(0, 60).toString('latin1'),
  };
}
