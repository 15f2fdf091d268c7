// Command-line options of the attack scripts (harness/args.mjs) and where
// their figures go: every script prints its options and figures as JSON and
// writes them to bench/attack/results/<name>.json.
import { join } from 'node:path';
import { ROOT } from '../../harness/proxies.mjs';
import { parseArgs, writeResults } from '../../harness/args.mjs';
import { machineInfo, gitState } from '../../harness/machine.mjs';

export const options = (defaults) => parseArgs(process.argv.slice(2), defaults);

/** Writes the figures, with the commit and the machine and proxies they were
 * measured with; runs with JIDROUTE_CHROOT (the Debian 13 proxies) get
 * their own file. */
export function save(name, result) {
  const suffix = process.env.JIDROUTE_CHROOT ? '-chroot' : '';
  const { commit, modified } = gitState();
  const machine = machineInfo({ chroot: process.env.JIDROUTE_CHROOT || undefined });
  writeResults('bench/attack/results', `${name}${suffix}`, {
    json: { when: new Date().toISOString(), commit: commit + (modified.length ? ' (core/, njs/ or haproxy/ changed since)' : ''), ...machine, njs: machine.njsModule, ...result },
  });
  return join(ROOT, 'bench/attack/results', `${name}${suffix}.json`);
}

// Ctrl-C or a timeout's SIGTERM: exit through process.exit, so that the
// proxies a script started are killed with it (harness/stack.mjs).
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => process.exit(130));
