// The JavaScript build (dist/core.mjs under Node) and the Lua build
// (dist/jidroute.lua in a plain lua5.3 / lua5.4, driven by harness/route.lua)
// routing the same cases in the same pieces, as one line each that must be
// the same byte for byte: the one comparison behind the parity, recogniser
// and fuzz runs.
//
// A case: { bytes: Buffer, policy, address, cuts: number[], limit?, reader? }
// (reader 'full': the full reader alone, else the recogniser first).
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { core, routeInPieces } from './core.mjs';
import { ROOT } from './proxies.mjs';

const LUA_ARGS = [join(ROOT, 'harness/route.lua'), join(ROOT, 'dist/jidroute.lua')];
const hex = (s) => Buffer.from(s, 'latin1').toString('hex');

/** A route as one line: hex(key) TAB routeBy TAB hex(from) TAB hex(to) TAB stream. */
export const answerLine = (r) => [hex(r.key), r.routeBy, hex(r.from), hex(r.to), r.stream].join('\t');

/** The JavaScript build's route for a case (throws what the core throws). */
export function routeJs(c, bytes = c.bytes.toString('latin1')) {
  return routeInPieces(bytes, c.cuts, { policy: c.policy, limit: c.limit, address: c.address, recogniser: c.reader === 'full' ? core.FULL_READER_JS : undefined });
}

/** The Lua driver's input for `cases`, ending with a request for the answers. */
function luaInput(cases) {
  const parts = [];
  for (const c of cases) {
    parts.push(Buffer.from(`${c.policy ?? ''}\t${c.address}\t${c.limit ?? ''}\t${c.reader ?? ''}\t${c.bytes.length}\t${c.cuts.join(',')}\n`, 'latin1'), c.bytes);
  }
  parts.push(Buffer.from('\n'));
  return Buffer.concat(parts);
}

/** One answer of the Lua driver: { answer, took, us } or { error }. */
export function parseLuaAnswer(text) {
  if (text.startsWith('ERR\t')) return { error: text };
  const fields = text.split('\t');
  return { took: fields[0] === '1', answer: fields.slice(1, 6).join('\t'), us: Number(fields[6]) };
}

/** The Lua build's answers for `cases`, in one interpreter run. */
export function luaAnswers(interpreter, cases) {
  const run = spawnSync(interpreter, LUA_ARGS, { input: luaInput(cases), maxBuffer: 1 << 30, encoding: 'latin1' });
  if (run.status !== 0) throw new Error(`${interpreter} failed: ${run.stderr}`);
  return run.stdout === '' ? [] : run.stdout.replace(/\n$/, '').split('\n').map(parseLuaAnswer);
}

/** One Lua interpreter kept running, answering batches: for millions of inputs. */
export function startLua(interpreter) {
  const child = spawn(interpreter, LUA_ARGS, { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  let pending = null;
  let text = '';
  let lines = 0;
  child.stdout.setEncoding('latin1');
  child.stdout.on('data', (d) => {
    for (let i = d.indexOf('\n'); i >= 0; i = d.indexOf('\n', i + 1)) lines++;
    text += d;
    if (pending && lines >= pending.count) {
      const answers = text.replace(/\n$/, '').split('\n').map(parseLuaAnswer);
      text = '';
      lines = 0;
      const p = pending;
      pending = null;
      p.resolve(answers);
    }
  });
  const exited = new Promise((resolve) => child.on('exit', (code) => {
    if (pending) pending.reject(new Error(`${interpreter} exited (${code}): ${stderr}`));
    resolve(code);
  }));
  child.stdin.on('error', () => {});
  return {
    interpreter,
    pid: child.pid,
    /** Answers for `cases`, in order. */
    run(cases) {
      return new Promise((resolve, reject) => {
        pending = { count: cases.length, resolve, reject };
        child.stdin.write(luaInput(cases));
      });
    },
    async stop() {
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Where the builds differ on `cases`, with the inputs that show it. */
export function compareBuilds(interpreter, cases) {
  const lua = luaAnswers(interpreter, cases);
  const differences = [];
  cases.forEach((c, i) => {
    const js = answerLine(routeJs(c));
    const l = lua[i] && (lua[i].error ?? lua[i].answer);
    if (js !== l) differences.push({ input: c.bytes.toString('hex'), cuts: c.cuts, js, lua: l });
  });
  return { count: cases.length, luaCount: lua.length, differences };
}
