// Real Prosody servers for the end-to-end tests and the demo: each with its
// own config, ports (on 127.0.0.1 only), data directory, log and pid file,
// serving the same domains but NOT clustered (each keeps its own sessions and
// storage). Started in the foreground and stopped by PID.
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync, cpSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../harness/proxies.mjs';
import { startProcess, tempDir, waitForPort, readIfExists } from '../../harness/procs.mjs';
import { commandFor, currentLine, rootDir } from '../../harness/lines.mjs';

const lua = (s) => JSON.stringify(String(s)); // a JSON string is a valid Lua string for these values

/** Which Prosody runs here, e.g. "0.12.3". */
export function prosodyVersion(root) {
  try {
    const lineRoot = currentLine().prosody.root;
    const dir = root || (lineRoot ? rootDir(lineRoot) : null);
    const query = ['dpkg-query', '-W', '-f=${Version}', 'prosody'];
    const [cmd, ...args] = dir ? ['chroot', dir, ...query] : query;
    return execFileSync(cmd, args, { encoding: 'utf8' }).replace(/-.*/, '');
  } catch { return 'unknown'; }
}

/** The mechanisms the tests switch off unless told otherwise (see below). */
export const FAST_LOGINS = ['DIGEST-MD5', 'SCRAM-SHA-1', 'SCRAM-SHA-1-PLUS'];

/**
 * The config of one server. `ports`: { c2s, directTls, s2s } (each optional);
 * `staticSrv`: { domain: port } answers for _xmpp-server._tcp lookups (see
 * test/prosody/mod_static_srv.lua), needed only with s2s. `disableSasl`:
 * disable_sasl_mechanisms ([] for Prosody's own SASL settings, SCRAM and its
 * -PLUS variants included); `extra`: more lines (before the VirtualHosts);
 * `modules`: more modules to load (from test/prosody).
 */
export function prosodyConfig({ name, dir, domains, pki, ports, staticSrv, disableSasl = FAST_LOGINS, extra = [], modules = [] }) {
  const s2s = ports.s2s !== undefined;
  const lines = [
    `-- jidroute end-to-end test server ${name}: loopback only, not clustered.`,
    // Prosody refuses to start as root without this, and prosodyctl would
    // switch to the prosody user (who cannot read the temporary directory).
    'run_as_root = true',
    `pidfile = ${lua(join(dir, 'prosody.pid'))}`,
    `data_path = ${lua(join(dir, 'data'))}`,
    `log = { { levels = { min = "info" }, to = "file", filename = ${lua(join(dir, 'prosody.log'))} } }`,
    'interfaces = { "127.0.0.1" }',
    'local_interfaces = { "127.0.0.1" }',
    'c2s_interfaces = { "127.0.0.1" }',
    `c2s_ports = { ${ports.c2s ?? ''} }`,
    ports.directTls ? `c2s_direct_tls_ports = { ${ports.directTls} }` : '',
    s2s ? `s2s_ports = { ${ports.s2s} }` : '',
    's2s_interfaces = { "127.0.0.1" }',
    `plugin_paths = { ${lua(join(ROOT, 'test/prosody'))} }`,
    'modules_enabled = { "roster", "saslauth", "tls", "disco", "ping", "posix"' +
      (s2s ? ', "dialback", "static_srv"' : '') + modules.map((m) => `, ${lua(m)}`).join('') + ' }',
    // No offline storage: a message for a device that is on another server
    // bounces (service-unavailable) instead of being stored quietly, so the
    // tests see every message that routing lost.
    `modules_disabled = { "offline"${s2s ? '' : ', "s2s", "s2s_auth_certs"'} }`,
    s2s ? `static_srv = { ${Object.entries(staticSrv ?? {}).map(([d, p]) => `[${lua(d)}] = ${p}`).join(', ')} }` : '',
    'authentication = "internal_hashed"',
    // xmpp.js 0.14 computes SCRAM's 10000 rounds with one WebCrypto call per
    // round, about 2 s of CPU per login: dozens of devices would take minutes.
    // PLAIN inside the verified TLS stream keeps the tests quick.
    `disable_sasl_mechanisms = { ${disableSasl.map(lua).join(', ')} }`,
    'allow_registration = false',
    'c2s_require_encryption = true',
    's2s_require_encryption = true',
    `certificates = ${lua(pki.dir)}`,
    `ssl = { certificate = ${lua(pki.cert)}, key = ${lua(pki.key)}, cafile = ${lua(pki.ca)} }`,
    ...extra,
    ...domains.map((d) => `VirtualHost ${lua(d)}`),
  ];
  return lines.filter(Boolean).join('\n') + '\n';
}

/**
 * Starts one server per entry of `servers` ([{ name, ports }]) for `domains`,
 * with `accounts` ([{ user, domain, password }]) on each. `pki`: { dir, ca,
 * cert, key } for the domains. Returns { servers, stop() }; each server has
 * { name, dir, conf, ports, log(), authenticated(), stop() }. `root`: run
 * Prosody from that chroot (a Debian root with prosody installed, /tmp and
 * this checkout bind-mounted at the same paths: harness/lines.mjs useRoot).
 */
export async function startProsody({ servers, domains, accounts = [], pki, staticSrv, root, disableSasl, extra, modules }) {
  // root: a Debian tree (e.g. sid, Prosody 13) to run prosody from, with
  // /tmp and this checkout bind-mounted at the same paths.
  const made = servers.map(({ name, ports }) => {
    const dir = tempDir(`jidroute-prosody-${name}-`);
    mkdirSync(join(dir, 'data'));
    const conf = join(dir, 'prosody.cfg.lua');
    writeFileSync(conf, prosodyConfig({ name, dir, domains, pki, ports, staticSrv, disableSasl, extra, modules }));
    return { name, dir, conf, ports };
  });
  // Register on the first server while it is stopped, then give each other
  // server its own copy of that storage: same accounts, separate servers.
  // The line's Prosody (harness/lines.mjs): the host's, or a Debian root's.
  const [prosody, prosodyArgs] = root ? ['chroot', [root, 'prosody']] : await commandFor('prosody');
  const [prosodyctl, prosodyctlArgs] = root ? ['chroot', [root, 'prosodyctl']] : await commandFor('prosodyctl');
  for (const a of accounts) {
    execFileSync(prosodyctl, [...prosodyctlArgs, '--config', made[0].conf, 'register', a.user, a.domain, a.password],
      { stdio: ['ignore', 'ignore', 'pipe'] });
  }
  for (const s of made.slice(1)) cpSync(join(made[0].dir, 'data'), join(s.dir, 'data'), { recursive: true });

  const started = [];
  const stop = () => Promise.all(started.map((s) => s.stop()));
  try {
    for (const s of made) {
      const proc = startProcess(prosody, [...prosodyArgs, '-F', '--config', s.conf], { cwd: s.dir, outputFile: join(s.dir, 'output.log') });
      const server = {
        ...s,
        proc,
        log: () => readIfExists(join(s.dir, 'prosody.log')) + readIfExists(join(s.dir, 'output.log')),
        /** Bare JIDs authenticated on this server, one entry per session, in order. */
        authenticated: () => [...server.log().matchAll(/Authenticated as (\S+)/g)].map((m) => m[1]),
        /** Remote domains whose incoming s2s stream this server accepted. */
        s2sIncoming: () => [...server.log().matchAll(/Incoming s2s connection (\S+)->(\S+) complete/g)].map((m) => ({ from: m[1], to: m[2] })),
        stop: () => proc.stop(),
      };
      started.push(server);
    }
    await Promise.all(started.map(async (s) => {
      for (const port of Object.values(s.ports).filter(Boolean)) {
        try {
          await waitForPort(port, { timeoutMs: 15000 });
        } catch (e) {
          throw new Error(`prosody ${s.name} did not listen on ${port}:\n${s.log()}`);
        }
      }
    }));
  } catch (e) {
    await stop();
    throw e;
  }
  return { servers: started, stop };
}

/** Every server's log, for a failing test's diagnostics. */
export function prosodyLogs(servers) {
  return servers.map((s) => `----- ${s.name} (${s.conf})\n${s.log()}`).join('\n');
}
