// npm run build: dist/jidroute.js (nginx njs, esbuild) and dist/jidroute.lua
// (HAProxy, typescript-to-lua), both from core/, plus dist/core.mjs for the
// tests under Node. Nothing is swapped behind an import: core/js/ and
// core/lua/ hold what differs by platform, and each adapter imports its own.
import { build } from 'esbuild';
import { njsSupported } from './njs/target.mjs';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';

async function buildNjs() {
  const result = await build({
    entryPoints: ['njs/jidroute.ts'],
    bundle: true,
    format: 'esm',
    target: 'es2017',
    supported: njsSupported,
    write: false,
    charset: 'ascii',
    legalComments: 'none',
    logLevel: 'error',
  });
  let code = result.outputFiles[0].text;
  // njs 0.7.9 rejects `export { x as default }`, esbuild's way of writing a
  // default export.
  const match = /export\s*\{\s*(\w+)\s+as\s+default\s*\};?\s*$/.exec(code);
  if (!match) throw new Error('build: expected a single default export from esbuild');
  code = code.slice(0, match.index) + `export default ${match[1]};\n`;
  const banner = '// jidroute: route XMPP connections by the JID in the stream header (nginx njs).\n' +
    '// Built from core/ and njs/ by build.mjs; do not edit.\n';
  writeFileSync('dist/jidroute.js', banner + code);
}

async function buildCoreForNode() {
  await build({
    entryPoints: ['core/index.ts'],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2017',
    supported: njsSupported,
    outfile: 'dist/core.mjs',
    logLevel: 'error',
  });
}

function buildLua() {
  rmSync('dist/lua-build', { recursive: true, force: true });
  execFileSync(process.execPath, ['node_modules/typescript-to-lua/dist/tstl.js', '-p', 'tsconfig.lua.json'], {
    stdio: 'inherit',
  });
  const lua = readFileSync('dist/lua-build/jidroute.lua', 'utf8');
  rmSync('dist/lua-build', { recursive: true, force: true });
  writeFileSync('dist/jidroute.lua',
    '-- jidroute: route XMPP connections by the JID in the stream header (HAProxy Lua).\n' +
    '-- Built from core/ and haproxy/ by build.mjs; do not edit.\n' + lua);
}

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
await Promise.all([buildNjs(), buildCoreForNode()]);
buildLua();
console.log('built dist/jidroute.js, dist/jidroute.lua, dist/core.mjs');
