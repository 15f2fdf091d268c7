// Core micro-benchmarks: headers per second through core/ under Node
// (dist/core.mjs), the njs command-line interpreter (dist/jidroute.js: its
// core, and its preread handler under a stand-in session) and lua5.3 / lua5.4
// (dist/jidroute.lua): the builds the proxies run.
// Typical, worst case at the size limit, byte at a time, and the cost per byte
// as the header grows. Run alone: node bench/core.mjs [--only ...] [--seconds s]
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from '../harness/proxies.mjs';
import { tempDir } from '../harness/procs.mjs';
import { parseArgs } from '../harness/args.mjs';

const STREAM_OPEN = "<?xml version='1.0'?><stream:stream ";
const STREAM_NS = "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'";

/** The typical header of the connection benchmark (189 bytes). */
export const TYPICAL = `${STREAM_OPEN}from='user0001@tenant01.example' to='tenant01.example' ${STREAM_NS} xml:lang='en'>`;

/** Pads a header with short attributes (each name read byte by byte, each
 * value found with indexOf, each checked for namespaces) up to `size` bytes. */
function padded(head, size) {
  let pad = '';
  for (let i = 0; head.length + pad.length + 1 < size; i++) {
    const attr = ` a${String(i).padStart(5, '0')}='v'`;
    if (head.length + pad.length + attr.length + 1 > size) {
      pad += ' '.repeat(size - 1 - head.length - pad.length); // white space before '>' is allowed
      break;
    }
    pad += attr;
  }
  return head + pad + '>';
}

/** The head of every costliest header: the longest JID parts a JID may have
 * (1,023 octets: a non-ASCII uppercase localpart, case-mapped code point by
 * code point, and a non-ASCII domain, in from and in to). */
function limitHead() {
  const local = Buffer.from('Ä'.repeat(511), 'utf8').toString('latin1'); // 1,022 octets
  const domain = Buffer.from('Ü'.repeat(505) + '.example', 'utf8').toString('latin1'); // 1,018 octets
  return `${STREAM_OPEN}from='${local}@${domain}/phone' to='${domain}' ${STREAM_NS}`;
}

/** The head, then `unit(i)` for i = 0, 1, ... while it fits in 8,100 bytes
 * (just under the default limit of 8,192), white space, then `close`. */
function filled(unit, close = '>') {
  const head = limitHead();
  let pad = '';
  for (let i = 0; head.length + pad.length + unit(i).length + close.length <= 8100; i++) pad += unit(i);
  return head + pad + (close === '>' ? ' '.repeat(8100 - 1 - head.length - pad.length) : '') + close;
}

const NAME_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
/** A distinct short attribute name for every i: a capital (no header attribute
 * has one), then base-36 digits. */
const shortName = (i) => NAME_CHARS[i % 26] + (i < 26 ? '' : (Math.floor(i / 26) - 1).toString(36));

/** Worst case at the default limit (8,192 bytes): the long non-ASCII JID,
 * then short attributes up to 8,100 bytes, all in one piece. */
export function limitHeader() {
  return padded(limitHead(), 8100);
}

/**
 * The costliest inputs under the default limit: the long non-ASCII JID, then
 * 8,100 bytes of one kind of thing each reader reads piece by piece. Each is
 * a valid header that routes by from (checkInputs), so the whole path runs.
 * The bench reports each, and the dearest per runtime against the target.
 */
export function costliestHeaders() {
  const n5 = (i) => String(i).padStart(5, '0');
  return {
    'short attributes': limitHeader(),
    'shortest attributes': filled((i) => ` ${shortName(i)}=''`),
    'non-ASCII values': filled((i) => ` a${n5(i)}='${Buffer.from('é', 'utf8').toString('latin1')}'`),
    'non-ASCII names': filled((i) => ` ${Buffer.from('é', 'utf8').toString('latin1')}${n5(i)}='v'`),
    'prefixed names': filled((i) => (i === 0 ? " xmlns:p='u'" : ` p:${shortName(i)}=''`)),
    'namespace declarations': filled((i) => ` xmlns:${shortName(i)}='u'`),
    'character references': filled((i) => (i === 0 ? " e='" : '&#xC4;'), "'>"),
    'entity references': filled((i) => (i === 0 ? " e='" : '&amp;'), "'>"),
  };
}

export const LINEAR_SIZES = [256, 1024, 2048, 4096, 8000];

export function linearHeaders() {
  const head = `${STREAM_OPEN}from='user0001@tenant01.example' to='tenant01.example' ${STREAM_NS}`;
  return Object.fromEntries(LINEAR_SIZES.map((n) => [n, padded(head, n)]));
}

const jsString = (s) => JSON.stringify(s).replace(/[\u0080-\u00ff]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
const luaString = (s) => `"${[...s].map((c) => {
  const b = c.charCodeAt(0);
  return b >= 0x20 && b < 0x7f && c !== '"' && c !== '\\' ? c : `\\x${b.toString(16).padStart(2, '0')}`;
}).join('')}"`;

/** dist/jidroute.js itself, with its core's three functions exported too:
 * the njs figures are those of the very code nginx runs. They are made by
 * startSlow(), the njs adapter's general path (build.mjs), once for the
 * bench: its last line is widened to hand them back (esbuild keeps the names
 * of a bundle; a renamed one fails here, not quietly). */
export function exposeCoreForNjs(file) {
  let code = readFileSync(join(ROOT, 'dist/jidroute.js'), 'utf8');
  const m = /export default (\w+);\s*$/.exec(code);
  if (!m) throw new Error('bench: dist/jidroute.js does not end with export default');
  const names = ['newRouter', 'feedRouter', 'currentRoute', 'RECOGNISER_JS'];
  const slow = /^function startSlow\(s, named, event\) \{$/m.exec(code);
  const ret = slow && /^ *return startSlow\d*\(s, named, event\);\n\}$/m.exec(code.slice(slow.index));
  if (!ret) throw new Error('bench: dist/jidroute.js has no startSlow(s, named, event) ending with its call');
  const at = slow.index + ret.index;
  const body = code.slice(slow.index, at);
  for (const name of names) {
    if (!new RegExp(`^ *(function|var) ${name}\\b`, 'm').test(body)) throw new Error(`bench: startSlow() has no ${name}`);
  }
  code = code.slice(0, at) + `  if (s === 'bench') return { ${names.join(', ')} };\n` + code.slice(at, m.index) +
    // newRouter with the recogniser njs/slow.ts passes, as nginx runs it.
    "var core = startSlow('bench');\n" +
    `export default { preread: ${m[1]}.preread, newRouter: function (p, l) { return core.newRouter(p, l, core.RECOGNISER_JS); }, ` +
    'feedRouter: core.feedRouter, currentRoute: core.currentRoute };\n';
  writeFileSync(file, code);
}

function checkInputs(core, inputs) {
  // The worst case must take the whole path (header read, JID mapped), not
  // stop early at an error: check what the core makes of every input.
  const route = (bytes) => {
    const r = core.newRouter('bare', undefined);
    core.feedRouter(r, bytes);
    return core.currentRoute(r, '127.0.0.1');
  };
  for (const [name, bytes] of [['typical', inputs.typical], ...Object.entries(inputs.limits), ...Object.entries(inputs.linear)]) {
    const r = route(bytes);
    if (r.routeBy !== 'from') throw new Error(`bench input ${name} does not route by from: ${r.stream}`);
  }
}

function runJson(cmd, args, what) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, timeout: 600000 });
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr}${r.stdout}`.slice(0, 2000));
  // The njs interpreter writes its answer in pieces (bench/timing/njs-main.js), Lua on one line.
  const lines = r.stdout.trim().split('\n');
  const pieces = lines.filter((l) => l.startsWith('JSON ')).map((l) => l.slice(5));
  return JSON.parse(pieces.length ? pieces.join('') : lines.pop());
}

export async function runCoreBench({ only = 'typical,limit,bytewise,linear', seconds = 0.4, log = () => {} } = {}) {
  const inputs = { typical: TYPICAL, limits: costliestHeaders(), linear: linearHeaders() };
  for (const [name, bytes] of Object.entries(inputs.limits)) {
    if (bytes.length > 8100) throw new Error(`bench input ${name}: ${bytes.length} bytes`);
  }
  const core = await import(pathToFileURL(join(ROOT, 'dist/core.mjs')).href);
  checkInputs(core, inputs);
  const bench = (await import(pathToFileURL(join(ROOT, 'bench/timing/bench-core.js')).href)).default;
  const results = [];
  const linear = [];
  const collect = (out) => { results.push(...out.results); linear.push(...out.linear); };

  log('core: node');
  const now = () => Number(process.hrtime.bigint()) / 1e6;
  collect(bench.run(core, inputs, seconds, now, only, 'node'));

  const dir = tempDir('jidroute-bench-core-');
  mkdirSync(dir, { recursive: true });
  exposeCoreForNjs(join(dir, 'jidroute.js'));
  copyFileSync(join(ROOT, 'bench/timing/bench-core.js'), join(dir, 'bench-core.js'));
  copyFileSync(join(ROOT, 'bench/timing/njs-main.js'), join(dir, 'njs-main.js'));
  const linearJs = Object.entries(inputs.linear).map(([k, v]) => `${k}: ${jsString(v)}`).join(',\n');
  const limitsJs = Object.entries(inputs.limits).map(([k, v]) => `${JSON.stringify(k)}: ${jsString(v)}`).join(',\n');
  writeFileSync(join(dir, 'inputs.js'), `export default { typical: ${jsString(inputs.typical)}, limits: {\n${limitsJs}\n},\n` +
    `linear: {\n${linearJs}\n}, only: ${JSON.stringify(only)}, seconds: ${seconds} };\n`);
  const limitsLua = Object.entries(inputs.limits).map(([k, v]) => `{ ${luaString(k)}, ${luaString(v)} }`).join(',\n');
  writeFileSync(join(dir, 'inputs.lua'), `return { typical = ${luaString(inputs.typical)}, limits = {\n${limitsLua}\n},\n` +
    `linear = {\n${Object.values(inputs.linear).map(luaString).join(',\n')}\n}, only = ${luaString(only)}, seconds = ${seconds} }\n`);

  log('core: njs');
  collect(runJson('njs', ['-p', dir, join(dir, 'njs-main.js')], 'njs'));
  for (const lua of ['lua5.3', 'lua5.4']) {
    log(`core: ${lua}`);
    collect(runJson(lua, [join(ROOT, 'bench/timing/lua-main.lua'), join(ROOT, 'dist/jidroute.lua'), join(dir, 'inputs.lua'), lua], lua));
  }
  return { seconds, only, inputSizes: { typical: inputs.typical.length, limits: Object.fromEntries(Object.entries(inputs.limits).map(([k, v]) => [k, v.length])) }, results, linear };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const opts = parseArgs(process.argv.slice(2), { only: 'typical,limit,bytewise,linear', seconds: 0.4, out: '' });
  const { coreMarkdown } = await import('./lib/report.mjs');
  const core = await runCoreBench({ only: opts.only, seconds: opts.seconds, log: (m) => console.error(m) });
  const md = coreMarkdown(core);
  console.log(md);
  if (opts.out) {
    writeFileSync(join(opts.out, 'core.json'), JSON.stringify(core, null, 2) + '\n');
    writeFileSync(join(opts.out, 'core.md'), md);
  }
}
