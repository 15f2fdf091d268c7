// core/ and the adapters type-check under `strict` (esbuild does not check
// types; typescript-to-lua checks haproxy/ during the build).
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../harness/proxies.mjs';

t.test('tsc --noEmit -p tsconfig.json', async (t) => {
  const run = spawnSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit'], { cwd: ROOT, encoding: 'utf8' });
  t.equal(run.status, 0, run.stdout + run.stderr);
});
