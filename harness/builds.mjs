// Runs inputs through the Lua build (in a plain lua5.3 / lua5.4) and the
// JavaScript build (under Node), in the same pieces, and lists where they differ.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { core } from './core.mjs';
import { byteString } from './vectors.mjs';
import { ROOT } from './proxies.mjs';

const hex = (s) => Buffer.from(s, 'latin1').toString('hex');

/** cases: [{ bytes: Buffer, policy, address, cuts: number[] }] */
export function jsAnswers(cases) {
  return cases.map((c) => {
    const bytes = byteString(c.bytes);
    const router = core.newRouter(c.policy, undefined);
    let decided = false;
    for (const cut of c.cuts) if (core.feedRouter(router, bytes.substring(0, cut))) { decided = true; break; }
    if (!decided) core.feedRouter(router, bytes);
    const r = core.currentRoute(router, c.address);
    return [hex(r.key), r.routeBy, hex(r.from), hex(r.to), r.stream].join('\t');
  });
}

export function luaAnswers(interpreter, cases) {
  const input = cases.map((c) => [c.policy, c.address, c.bytes.toString('hex'), c.cuts.join(',')].join('\t')).join('\n') + '\n';
  const run = spawnSync(interpreter, [join(ROOT, 'test/lua/route-hex.lua'), join(ROOT, 'dist/jidroute.lua')], {
    input, maxBuffer: 1 << 30, encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(`${interpreter} failed: ${run.stderr}`);
  return run.stdout.replace(/\n$/, '').split('\n');
}

/** Differences between the builds, with the inputs that show them. */
export function compareBuilds(interpreter, cases) {
  const js = jsAnswers(cases);
  const lua = luaAnswers(interpreter, cases);
  const differences = [];
  for (let i = 0; i < cases.length; i++) {
    if (js[i] !== lua[i]) differences.push({ input: cases[i].bytes.toString('hex'), cuts: cases[i].cuts, js: js[i], lua: lua[i] });
  }
  return { count: cases.length, luaCount: lua.length, differences };
}
