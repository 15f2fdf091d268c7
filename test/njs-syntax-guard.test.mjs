// The build refuses syntax njs 0.7.9 cannot parse, and what it emits parses
// under Debian's njs interpreter (njs 0.7.9 on Debian 12).
import t from 'tap';
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { njsSupported } from '../njs/target.mjs';
import { ROOT } from '../harness/proxies.mjs';
import { tempDir } from '../harness/procs.mjs';

const compile = (contents) => build({
  stdin: { contents, loader: 'ts' }, bundle: false, format: 'esm', target: 'es2017',
  supported: njsSupported, write: false, logLevel: 'silent',
});

const refused = {
  class: 'export class A { x = 1 }',
  destructuring: 'export function f(o: {a: number}) { const { a } = o; return a; }',
  spread: 'export const f = (xs: number[]) => [...xs];',
  'for-of': 'export function f(xs: number[]) { let n = 0; for (const x of xs) n += x; return n; }',
  'default parameter': 'export function f(x = 1) { return x; }',
};
for (const [name, source] of Object.entries(refused)) {
  t.rejects(compile(source), `${name} fails the build`);
}
t.test('optional chaining and ?? are lowered to what njs parses', async (t) => {
  const out = await compile('export const f = (o?: {a?: number}) => o?.a ?? 0;');
  t.notMatch(out.outputFiles[0].text, /\?\.|\?\?/);
});
t.resolves(compile('export const f = (x: number) => `${x}`; let y = 1; const z = y;'), 'let, arrows and template literals build');

t.test('dist/jidroute.js has one default export and parses in njs', async (t) => {
  const code = readFileSync(join(ROOT, 'dist/jidroute.js'), 'utf8');
  t.notMatch(code, /export\s*\{/, 'no export list (njs 0.7.9 refuses `export { x as default }`)');
  t.match(code, /export default \w+;\s*$/, 'ends with `export default`');
  const dir = tempDir('jidroute-njs-');
  writeFileSync(join(dir, 'jidroute.js'), code);
  writeFileSync(join(dir, 'main.js'), "import j from 'jidroute.js';\nconsole.log(typeof j.preread);\n");
  const run = spawnSync('njs', ['-p', dir, join(dir, 'main.js')], { encoding: 'utf8' });
  t.equal(run.stdout.trim(), 'function', `njs loads the module (${run.stderr.trim() || 'ok'})`);
});
