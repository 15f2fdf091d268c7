// A real ejabberd (Debian's, 23.01 on Debian 12) for the PROXY protocol test:
// Debian's Prosody has no PROXY protocol module, ejabberd reads it on any
// listener with `use_proxy_protocol: true`. One node with one c2s listener
// per proxy backend port, so that the proxy's three servers are three ports
// of one ejabberd (the test is about addresses, not about clustering).
//
// The node runs `erl` directly (ejabberdctl does not exec, so its PID would
// not be the node's) without epmd: Erlang distribution listens on one port
// of 127.0.0.1 (ERL_DIST_PORT, -erl_epmd_port), which `ejabberdctl register`
// uses. HOME points into the temporary directory, so the Erlang cookie is
// written there.
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startProcess, tempDir, waitForPort, readIfExists, freePort } from '../../harness/procs.mjs';

export function ejabberdVersion() {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'ejabberd'], { encoding: 'utf8' }).replace(/-.*/, '');
  } catch { return 'unknown'; }
}

// As for Prosody (test/lib/prosody.mjs): xmpp.js computes SCRAM slowly;
// PLAIN inside the verified TLS stream keeps the tests quick.
export const FAST_LOGINS = ['SCRAM-SHA-1', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256', 'SCRAM-SHA-256-PLUS', 'SCRAM-SHA-512', 'SCRAM-SHA-512-PLUS', 'X-OAUTH2', 'DIGEST-MD5'];

function erlLibs() {
  // ejabberdctl sets ERL_LIBS to the multiarch library directory that holds
  // ejabberd-<version>/.
  for (const dir of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib']) {
    try { if (readdirSync(dir).some((f) => /^ejabberd-\d/.test(f))) return dir; } catch {}
  }
  return '/usr/lib/x86_64-linux-gnu';
}

/**
 * Starts ejabberd for `domains` with a c2s listener on each of `ports`
 * (127.0.0.1, PROXY protocol required unless `proxyProtocol` is false,
 * STARTTLS required) and on each of `directTlsPorts` (Direct TLS), and
 * registers `accounts`. `pem`: certificate and key for the domains;
 * `disableSasl`: disable_sasl_mechanisms.
 * Returns { dir, log(), authentications(), stop() }.
 */
export async function startEjabberd({ ports, domains, accounts = [], pem, proxyProtocol = true, directTlsPorts = [], disableSasl = FAST_LOGINS }) {
  const dir = tempDir('jidroute-ejabberd-');
  for (const d of ['spool', 'logs', 'home']) mkdirSync(join(dir, d));
  const distPort = await freePort();
  const node = `jidroute${process.pid}x${distPort}@localhost`;
  writeFileSync(join(dir, 'ejabberd.yml'), [
    '# jidroute PROXY protocol test: loopback only.',
    'hosts:', ...domains.map((d) => `  - ${JSON.stringify(d)}`),
    'loglevel: info',
    'log_rotate_count: 0',
    `certfiles: [${JSON.stringify(pem)}]`,
    'listen:',
    // https://docs.ejabberd.im/admin/configuration/listen-options/#use-proxy-protocol
    // Direct TLS (XEP-0368): `tls: true` starts TLS at once.
    ...[...ports.map((p) => [p, 'starttls_required: true']), ...directTlsPorts.map((p) => [p, 'tls: true'])].flatMap(([p, tls]) => [
      `  - port: ${p}`,
      '    ip: "127.0.0.1"',
      '    module: ejabberd_c2s',
      `    use_proxy_protocol: ${proxyProtocol}`,
      `    ${tls}`,
    ]),
    'auth_method: internal',
    `disable_sasl_mechanisms: ${JSON.stringify(disableSasl)}`,
    's2s_access: none',
    'modules:',
    '  mod_disco: {}',
    '  mod_ping: {}',
    '  mod_roster: {}',
  ].join('\n') + '\n');
  // Read by `ejabberdctl --ctl-config`; EXEC_CMD keeps it from switching to
  // the ejabberd user (who cannot read this directory).
  writeFileSync(join(dir, 'ejabberdctl.cfg'), `ERLANG_NODE=${node}\nERL_DIST_PORT=${distPort}\nEXEC_CMD=as_current_user\n`);
  writeFileSync(join(dir, 'inetrc'), '%% no inet configuration: use the system resolver (localhost)\n');
  const env = {
    ...process.env,
    HOME: join(dir, 'home'),
    EJABBERD_CONFIG_PATH: join(dir, 'ejabberd.yml'),
    EJABBERD_LOG_PATH: join(dir, 'logs/ejabberd.log'),
    ERL_LIBS: erlLibs(),
    ERL_CRASH_DUMP_BYTES: '0',
    ERL_INETRC: join(dir, 'inetrc'),
  };
  const proc = startProcess('erl', [
    '-sname', node, '-noinput', '+K', 'true',
    '-kernel', 'inet_dist_use_interface', '{127,0,0,1}',
    '-erl_epmd_port', String(distPort), '-start_epmd', 'false',
    '-mnesia', 'dir', JSON.stringify(join(dir, 'spool')),
    '-s', 'ejabberd',
  ], { cwd: dir, env, outputFile: join(dir, 'output.log') });
  const server = {
    dir, proc,
    log: () => readIfExists(join(dir, 'logs/ejabberd.log')) + readIfExists(join(dir, 'output.log')),
    /** { jid, address } per accepted c2s authentication: the client address
     * ejabberd believes, which with the PROXY protocol is the real one. The
     * log file and the console both carry each line (the console's sooner or
     * later), so one line a session: by the session's process id. */
    authentications: () => {
      const seen = new Set();
      return [...server.log().matchAll(/(?:\(\w+\|(<[\d.]+>)\) )?Accepted c2s \S+ authentication for (\S+?)(?:\/\S*)? by \S+ backend from (\S+)/g)]
        .filter((m) => { const key = m[1] ? `${m[1]} ${m[2]}` : m[0] + seen.size; if (seen.has(key)) return false; seen.add(key); return true; })
        .map((m) => ({ jid: m[2], address: m[3].replace(/^::ffff:/, '') }));
    },
    stop: () => proc.stop('SIGTERM', 10000),
  };
  try {
    // Erlang boots slowly on a loaded machine: 30 s was once not enough.
    for (const p of [...ports, ...directTlsPorts]) await waitForPort(p, { timeoutMs: 90000 });
    for (const a of accounts) {
      execFileSync('ejabberdctl', ['--config-dir', dir, '--ctl-config', join(dir, 'ejabberdctl.cfg'),
        '--spool', join(dir, 'spool'), '--logs', join(dir, 'logs'), 'register', a.user, a.domain, a.password],
      { env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30000 });
    }
  } catch (e) {
    await server.stop();
    throw new Error(`ejabberd did not start: ${e.message}\n${server.log()}`);
  }
  return server;
}
