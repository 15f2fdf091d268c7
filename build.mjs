// npm run build: dist/jidroute.js (nginx njs, esbuild) and dist/jidroute.lua
// (HAProxy, typescript-to-lua), both from core/, plus dist/core.mjs for the
// tests under Node and dist/cli.mjs, the jidroute command (bin/jidroute) in
// one file: cli/ with core/ bundled in, so that it runs on Node alone.
// Nothing is swapped behind an import: core/js/ and core/lua/ hold what
// differs by platform, and each adapter imports its own.
import { build } from 'esbuild';
import { njsSupported } from './njs/target.mjs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';

// The version (package.json) goes into each built file's banner and, for
// njs, into the module: jidroute.version.
const VERSION = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).version;

// njs runs a module's top level in every connection's VM: every function
// declaration is an object made again (about 190 instructions each, kept until
// the connection ends), every `var` set again. Most connections are decided
// by the recogniser on njs/jidroute.ts's path and never need njs/slow.ts (the
// router, core/router.ts; the full reader, header.ts, xml.ts, jid.ts,
// casemap.ts, tls-hello.ts; the header timer; the byte conversions), so in
// dist/jidroute.js njs/slow.ts is the body of one function, startSlow(),
// called the first time a connection needs it: the same code (esbuild bundles
// it from njs/slow.ts as it is, with what it imports), made only on the
// connections that use it. It keeps no module-level state (QuickJS reuses a
// context across sessions). What it shares with the fast path (the
// recogniser, the route rule) is in the file twice, each copy made only
// where it runs.
const SLOW_FILE = join(process.cwd(), 'njs', 'slow.ts');

/** njs/slow.ts, bundled with what it imports, as the body of
 * `function startSlow(s, named, event)`: each call makes the module and
 * calls its startSlow (one function at the top level: each costs every
 * connection). */
async function buildSlowPath() {
  const result = await build({
    entryPoints: [SLOW_FILE],
    bundle: true, format: 'esm', target: 'es2017', supported: njsSupported, write: false,
    charset: 'ascii', legalComments: 'none', logLevel: 'error',
  });
  const code = result.outputFiles[0].text;
  const match = /export\s*\{\s*startSlow\s*\};?\s*$/.exec(code);
  if (!match) throw new Error('build: expected njs/slow.ts to export startSlow alone');
  return 'export function startSlow(s, named, event) {\n' + code.slice(0, match.index) +
    'return startSlow(s, named, event);\n}\n';
}

/** In the njs build, njs/jidroute.ts's import of './slow' resolves to that
 * function. */
function lazySlowPath(factory) {
  const adapter = join(process.cwd(), 'njs', 'jidroute.ts');
  return {
    name: 'lazy-slow-path',
    setup(b) {
      b.onResolve({ filter: /^\.\/slow$/ }, (args) =>
        args.importer === adapter ? { path: 'slow', namespace: 'slow-path' } : undefined);
      b.onLoad({ filter: /.*/, namespace: 'slow-path' }, () => ({ contents: factory, loader: 'js' }));
    },
  };
}

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
    define: { __JIDROUTE_VERSION__: JSON.stringify(VERSION) },
    plugins: [lazySlowPath(await buildSlowPath())],
  });
  let code = result.outputFiles[0].text;
  // njs 0.7.9 rejects `export { x as default }`, esbuild's way of writing a
  // default export.
  const match = /export\s*\{\s*(\w+)\s+as\s+default\s*\};?\s*$/.exec(code);
  if (!match) throw new Error('build: expected a single default export from esbuild');
  code = code.slice(0, match.index) + `export default ${match[1]};\n`;
  const banner = `// jidroute ${VERSION}: route XMPP connections by the JID in the stream header (nginx njs).\n` +
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

// The command imports ../dist/core.mjs (so that cli/ runs unbundled in the
// tests); in the bundle that is core/ itself, built as dist/core.mjs is.
const coreFromSource = {
  name: 'core-from-source',
  setup(b) {
    b.onResolve({ filter: /\/dist\/core\.mjs$/ }, () => ({ path: join(process.cwd(), 'core/index.ts') }));
  },
};

async function buildCli() {
  await build({
    entryPoints: ['cli/main.mjs'],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    outfile: 'dist/cli.mjs',
    plugins: [coreFromSource],
    banner: { js: '// jidroute command (bin/jidroute). Built from cli/ and core/ by build.mjs; do not edit.' },
    legalComments: 'none',
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
    `-- jidroute ${VERSION}: route XMPP connections by the JID in the stream header (HAProxy Lua).\n` +
    '-- Built from core/ and haproxy/ by build.mjs; do not edit.\n' + lua);
}

rmSync('dist', { recursive: true, force: true });
mkdirSync('dist');
await Promise.all([buildNjs(), buildCoreForNode(), buildCli()]);
buildLua();
console.log('built dist/jidroute.js, dist/jidroute.lua, dist/core.mjs, dist/cli.mjs');
