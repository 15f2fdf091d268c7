// jidroute: the operator's command. where an account lands, who moves when
// the servers change, and what the proxy actually did (its access logs).
import { InputError, UsageError } from './errors.mjs';
import { where, HELP as WHERE } from './where.mjs';
import { moves, HELP as MOVES } from './moves.mjs';
import { report, HELP as REPORT } from './report.mjs';

const HELP = `jidroute COMMAND [options]   (jidroute COMMAND --help for each)

  where JID|HEADER|- --config FILE     the key, and the server the proxy picks
  moves --before A --after B           who moves when the servers or the ring change
  report LOG...                        what the proxy did: routes, spread,
                                       hot keys, accounts split over servers

The placement is emulated from the config the proxy runs (nginx
"hash $xmpp_key consistent" or "hash $xmpp_key", HAProxy "balance hash
var(sess.xmpp_key)" with "hash-type consistent"), checked against the real
proxies by the tests. A haproxy.cfg is read as the HAProxy version assumed
(--haproxy-version, else this machine's) reads it: named defaults ("from"),
and .if/.elif/.else/.endif decided for that version (version_atleast,
version_before, streq, strneq, !, &&, ||); a condition that depends on the
proxy's environment or build (defined(), "$VAR", openssl_*) is an error.
The policy is the handler's: nginx jidroute.bare / jidroute.domain
(jidroute.preread: $xmpp_policy), HAProxy lua.jidroute (sess.xmpp_policy
set before it, else bare) / lua.jidroute_domain.
Exit status: 0; 1 on an internal error; 2 on bad input or usage.`;

const COMMANDS = { where, moves, report };
const HELPS = { where: WHERE, moves: MOVES, report: REPORT };

export async function main(argv, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const [command, ...rest] = argv;
  try {
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      if (command === 'help' && HELPS[rest[0]]) stdout.write(HELPS[rest[0]] + '\n');
      else stdout.write(HELP + '\n');
      return command ? 0 : 2;
    }
    if (rest.includes('-h')) rest[rest.indexOf('-h')] = '--help';
    const run = COMMANDS[command];
    if (!run) throw new UsageError(`unknown command "${command}" (where, moves, report; jidroute --help)`);
    await run(rest, stdout, stderr);
    return 0;
  } catch (e) {
    if (e instanceof InputError) {
      stderr.write(`jidroute: ${e.message}\n`);
      return 2;
    }
    if (e instanceof UsageError) {
      stderr.write(`jidroute ${command}: ${e.message}\n`);
      return 2;
    }
    stderr.write(`jidroute: internal error: ${e && e.stack ? e.stack : e}\n`);
    return 1;
  }
}

/** Writes to stdout, then exits with the status once it is flushed. */
export async function run(argv) {
  const status = await main(argv);
  process.exitCode = status;
}
