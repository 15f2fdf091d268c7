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
// by the recogniser (core/js/recognise.ts) and never call the full reader
// (core/header.ts, xml.ts, jid.ts, casemap.ts, tls-hello.ts), so in
// dist/jidroute.js the full reader is the body of one function, fullReader(),
// called when core/router.ts first needs it: the same code (esbuild bundles
// it from core/ as it is), made only on the connections that use it. The
// calls core/router.ts makes into it, by module:
const FULL_READER_CALLS = {
  header: ['newHeaderScan', 'scanHeader'],
  key: ['routeHeader'],
  'tls-hello': ['newHelloScan', 'scanHello', 'routeHello'],
};
// newHeaderScan and newHelloScan make the full reader and keep it in the
// state they return (`reader`); the other calls take it from there, so it is
// made once a connection and no module-level state is kept (QuickJS reuses a
// context across sessions).
const STARTERS = ['newHeaderScan', 'newHelloScan'];

const coreFile = (name) => join(process.cwd(), 'core', name + '.ts');

/** The full reader as the text of `function fullReader() {...}`, returning
 * the calls of FULL_READER_CALLS. */
async function buildFullReader() {
  const contents = Object.entries(FULL_READER_CALLS)
    .map(([mod, names]) => `export { ${names.join(', ')} } from ${JSON.stringify(coreFile(mod))};`).join('\n');
  const result = await build({
    stdin: { contents, resolveDir: process.cwd(), loader: 'ts', sourcefile: 'full-reader.ts' },
    bundle: true, format: 'esm', target: 'es2017', supported: njsSupported, write: false,
    charset: 'ascii', legalComments: 'none', logLevel: 'error',
  });
  const code = result.outputFiles[0].text;
  const match = /export\s*\{([^}]*)\};?\s*$/.exec(code);
  if (!match) throw new Error('build: expected one export list from the full reader bundle');
  const fields = match[1].split(',').map((e) => e.trim()).filter((e) => e !== '').map((e) => {
    const [local, exported] = e.split(/\s+as\s+/);
    return `${exported === undefined ? local : exported}: ${local}`;
  });
  return 'function fullReader() {\n' + code.slice(0, match.index) + `return { ${fields.join(', ')} };\n}\n`;
}

/** In the njs build, core/router.ts's imports of the modules above resolve to
 * stand-ins: everything else of the module as it is (esbuild keeps only what
 * is used), and each call of FULL_READER_CALLS forwarded to fullReader(). */
function lazyFullReader(factory) {
  const router = coreFile('router');
  return {
    name: 'lazy-full-reader',
    setup(b) {
      b.onResolve({ filter: /^\.\/(header|key|tls-hello)$/ }, (args) =>
        args.importer === router ? { path: args.path.slice(2), namespace: 'full-reader' } : undefined);
      b.onResolve({ filter: /^full-reader:factory$/ }, () => ({ path: 'factory', namespace: 'full-reader' }));
      b.onLoad({ filter: /.*/, namespace: 'full-reader' }, (args) => {
        if (args.path === 'factory') return { contents: factory + 'export { fullReader };\n', loader: 'js' };
        const stubs = FULL_READER_CALLS[args.path].map((name) => STARTERS.includes(name)
          ? `export function ${name}(limit, skip) { var reader = fullReader(); var state = reader.${name}(limit, skip); state.reader = reader; return state; }`
          : `export function ${name}(state, a, b) { return state.reader.${name}(state, a, b); }`);
        return {
          contents: `import { fullReader } from 'full-reader:factory';\nexport * from ${JSON.stringify(coreFile(args.path))};\n` +
            stubs.join('\n') + '\n',
          loader: 'js', resolveDir: process.cwd(),
        };
      });
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
    plugins: [lazyFullReader(await buildFullReader())],
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
