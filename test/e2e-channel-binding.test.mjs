// Logins through a proxy that terminates TLS, and channel binding where TLS
// is passed through. slixmpp (Debian's python3-slixmpp) uses SCRAM-*-PLUS
// whenever the server offers it and its own TLS is 1.2 (Python binds
// tls-unique only), and sends the downgrade flag 'y' with plain SCRAM when it
// could bind but the server offered no -PLUS (RFC 5802 §6); so it shows what
// a binding client meets on each path. What each login did (mechanisms
// tried and refused, the one that won) is asserted exactly, per server:
//
// - terminated (njs/nginx-directtls.conf, haproxy/haproxy-directtls.cfg as
//   shipped: TLS 1.3 to the server): Prosody 0.12 offers no -PLUS (its only
//   binding, tls-unique, does not exist in TLS 1.3): SCRAM at once. Prosody 13
//   offers -PLUS (tls-exporter): a client binding its own TLS 1.2 session
//   with the proxy is refused once;
// - terminated with TLS 1.2 to the server (nginx 1.22's default before):
//   -PLUS refused, then plain SCRAM refused as a downgrade, PLAIN last (the
//   failure of issue 14). disable_sasl_mechanisms without the -PLUS
//   mechanisms does not help: the server still binds, and refuses the 'y';
// - passed through (njs/nginx-passthrough.conf, haproxy/haproxy-passthrough.cfg):
//   the client sees the tenant's own certificate from the server and logs in
//   with SCRAM-SHA-1-PLUS over TLS 1.2: the binding holds end to end.
//
// The same paths run against Prosody 13 and sid's slixmpp too, from the
// Debian sid root of harness/lines.mjs (made when missing; JIDROUTE_PROSODY13_ROOT=DIR
// names another; JIDROUTE_PROSODY13_ROOT= (empty) leaves Prosody 13 out).
import t from 'tap';
import tls from 'node:tls';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeStackPki, makeAccounts, startXmppStack, DOMAINS, exampleServers } from './lib/e2e.mjs';
import { loggedConnection, ROOT } from '../harness/proxies.mjs';
import { useRoot } from '../harness/lines.mjs';
import { startEjabberd } from './lib/ejabberd.mjs';
import { tempDir } from '../harness/procs.mjs';

t.setTimeout(20 * 60000);

const SERVERS = exampleServers('c2s', 'directTls');
const TERMINATING = { nginx: 'njs/nginx-directtls.conf', haproxy: 'haproxy/haproxy-directtls.cfg' };
const PASSTHROUGH = { nginx: 'njs/nginx-passthrough.conf', haproxy: 'haproxy/haproxy-passthrough.cfg' };
/** The terminating configs with TLS 1.2 to the server instead. */
const UPSTREAM_TLS12 = {
  nginx: (s) => s.replace('proxy_ssl_protocols TLSv1.2 TLSv1.3;', 'proxy_ssl_protocols TLSv1.2;'),
  haproxy: (s) => s.replace('ssl-max-ver TLSv1.3', 'ssl-max-ver TLSv1.2'),
};
// SCRAM on (the other end-to-end tests switch it off for xmpp.js's sake).
const SCRAM = ['DIGEST-MD5'];
const NO_PLUS = ['DIGEST-MD5', 'SCRAM-SHA-1-PLUS', 'SCRAM-SHA-256-PLUS', 'SCRAM-SHA-384-PLUS', 'SCRAM-SHA-512-PLUS'];

// Each tenant has a certificate of its own, which only the servers hold;
// the terminating proxy presents the shared one (xmpp.crt, both names).
// Prosody indexes the certificates in its `certificates` folder by the names
// they hold, so that folder holds the tenants' only (the shared one covers
// both names too, and which file wins would depend on the folder's order).
const shared = makeStackPki(Object.fromEntries(DOMAINS.map((d) => [d, [d]])));
const tenantDir = tempDir('jidroute-tenant-certs-');
for (const d of DOMAINS) for (const ext of ['crt', 'key']) copyFileSync(join(shared.dir, `${d}.${ext}`), join(tenantDir, `${d}.${ext}`));
const pki = { ...shared, server: { ...shared.server, dir: tenantDir } };
const accounts = makeAccounts(1, 1);
const fingerprint = (file) => new X509Certificate(readFileSync(file)).fingerprint256;

let PROSODY13_ROOT = process.env.JIDROUTE_PROSODY13_ROOT;
if (PROSODY13_ROOT === undefined) {
  try {
    PROSODY13_ROOT = await useRoot('sid');
  } catch (e) {
    t.comment(`Prosody 13 left out: no Debian sid root (${e.message.split('\n')[0]})`);
  }
}
const GENERATIONS = [{ name: 'Prosody 0.12', root: undefined }, { name: 'ejabberd 23.01', root: undefined, ejabberd: true }];
if (PROSODY13_ROOT) GENERATIONS.push({ name: 'Prosody 13', root: PROSODY13_ROOT });

/** One slixmpp login; { ok, mechanism, attempts, offered, tls, version, error }. */
function login(root, port, account, maxTls) {
  const script = join(ROOT, 'test/lib/slixmpp-login.py');
  const args = [script, '127.0.0.1', String(port), account.jid, account.password, pki.ca, 'direct', maxTls];
  const [cmd, argv] = root ? ['chroot', [root, '/usr/bin/python3', ...args]] : ['/usr/bin/python3', args];
  return new Promise((resolve) => {
    execFile(cmd, argv, { timeout: 60000 }, (err, stdout, stderr) => {
      const line = stdout.trim().split('\n').pop();
      try { resolve(JSON.parse(line)); } catch { resolve({ ok: false, error: `${err} ${stderr}`.slice(0, 500) }); }
    });
  });
}

/** A TLS handshake through the proxy with SNI `domain`: the certificate the
 * client is shown. */
function handshake(port, domain) {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: domain, ALPNProtocols: ['xmpp-client'], ca: readFileSync(pki.ca) }, () => {
      const cert = socket.getPeerX509Certificate();
      const out = { authorized: socket.authorized, fingerprint: cert.fingerprint256, subject: cert.subject, localPort: socket.localPort };
      socket.end();
      resolve(out);
    });
    socket.on('error', reject);
  });
}

/** What slixmpp's login must show, per server generation and path. */
const P = (m) => [m, 'malformed-request'];
// ejabberd refuses each bound attempt with not-authorized, then takes plain SCRAM.
const EJ_PLUS = ['SCRAM-SHA-512-PLUS', 'SCRAM-SHA-256-PLUS', 'SCRAM-SHA-1-PLUS'].map((m) => [m, 'not-authorized']);
const EXPECT = {
  'ejabberd 23.01': {
    terminated: { '1.2': { attempts: EJ_PLUS, mechanism: 'SCRAM-SHA-512', plus: true }, '1.3': { attempts: EJ_PLUS, mechanism: 'SCRAM-SHA-512', plus: true } },
    terminatedNoPlus: { attempts: [], mechanism: 'SCRAM-SHA-512', plus: false },
    passthrough: { '1.2': { attempts: [], mechanism: 'SCRAM-SHA-512-PLUS', plus: true }, '1.3': { attempts: [], mechanism: 'SCRAM-SHA-512-PLUS', plus: true } },
  },
  'Prosody 0.12': {
    terminated: { '1.2': { attempts: [], mechanism: 'SCRAM-SHA-1', plus: false }, '1.3': { attempts: [], mechanism: 'SCRAM-SHA-1', plus: false } },
    terminatedNoPlus: { attempts: [], mechanism: 'SCRAM-SHA-1', plus: false },
    upstream12: { attempts: [P('SCRAM-SHA-1-PLUS'), P('SCRAM-SHA-1')], mechanism: 'PLAIN', plus: true },
    upstream12NoPlus: { attempts: [P('SCRAM-SHA-1')], mechanism: 'PLAIN', plus: false },
    passthrough: { '1.2': { attempts: [], mechanism: 'SCRAM-SHA-1-PLUS', plus: true }, '1.3': { attempts: [], mechanism: 'SCRAM-SHA-1', plus: false } },
  },
  'Prosody 13': {
    terminated: { '1.2': { attempts: [P('SCRAM-SHA-1-PLUS')], mechanism: 'SCRAM-SHA-1', plus: true }, '1.3': { attempts: [], mechanism: 'SCRAM-SHA-1', plus: true } },
    terminatedNoPlus: { attempts: [P('SCRAM-SHA-1')], mechanism: 'PLAIN', plus: false },
    upstream12: { attempts: [P('SCRAM-SHA-1-PLUS')], mechanism: 'SCRAM-SHA-1', plus: true },
    upstream12NoPlus: { attempts: [P('SCRAM-SHA-1')], mechanism: 'PLAIN', plus: false },
    passthrough: { '1.2': { attempts: [], mechanism: 'SCRAM-SHA-1-PLUS', plus: true }, '1.3': { attempts: [], mechanism: 'SCRAM-SHA-1', plus: true } },
  },
};
const plus = (mechs = []) => mechs.some((m) => m.endsWith('-PLUS'));

/** Logs every account in with slixmpp and checks the outcome. */
async function loginsAre(t, generation, port, maxTls, want) {
  for (const account of accounts) {
    const r = await login(generation.root, port, account, maxTls);
    t.comment(JSON.stringify(r));
    t.ok(r.ok, `${account.jid} (slixmpp ${r.version}, client TLS ${maxTls}): logged in`);
    t.same(r.attempts, want.attempts, `refused first: ${JSON.stringify(r.attempts)}`);
    t.equal(r.mechanism, want.mechanism, `logged in with ${r.mechanism}`);
    t.equal(plus(r.offered), want.plus, `-PLUS ${want.plus ? '' : 'not '}offered (${r.offered})`);
  }
}

for (const generation of GENERATIONS) {
  const expect = EXPECT[generation.name];
  for (const kind of ['nginx', 'haproxy']) {
    const start = (configFile, { edit, disableSasl = SCRAM } = {}) => startXmppStack({
      kind, configFile, edit, pki, accounts, servers: SERVERS, prosody: { root: generation.root, disableSasl },
      // One ejabberd node, a STARTTLS and a Direct TLS listener per server of the config.
      startServers: generation.ejabberd ? async (real) => {
        const node = await startEjabberd({
          ports: SERVERS.map((s) => real(s.c2s)), directTlsPorts: SERVERS.map((s) => real(s.directTls)), proxyProtocol: false,
          domains: DOMAINS, accounts, pem: shared.certs.xmpp.pem, disableSasl: disableSasl === SCRAM ? ['DIGEST-MD5', 'X-OAUTH2'] : [...disableSasl, 'X-OAUTH2'],
        });
        return { servers: [{ name: 'ejabberd', conf: `${node.dir}/ejabberd.yml`, log: node.log, authenticated: () => [] }], stop: () => node.stop() };
      } : undefined,
    });

    t.test(`${generation.name}, ${kind}: terminated as shipped (TLS 1.3 to the server)`, async (t) => {
      const stack = await start(TERMINATING[kind]);
      t.teardown(() => stack.stop());
      for (const maxTls of ['1.2', '1.3']) await loginsAre(t, generation, stack.proxy.port(5223), maxTls, expect.terminated[maxTls]);
    });

    t.test(`${generation.name}, ${kind}: terminated as shipped, disable_sasl_mechanisms holding every -PLUS mechanism`, async (t) => {
      const stack = await start(TERMINATING[kind], { disableSasl: NO_PLUS });
      t.teardown(() => stack.stop());
      await loginsAre(t, generation, stack.proxy.port(5223), '1.2', expect.terminatedNoPlus);
    });

    // (ejabberd answers as with TLS 1.3: seen once, not repeated every run.)
    if (!generation.ejabberd) t.test(`${generation.name}, ${kind}: terminated with TLS 1.2 to the server`, async (t) => {
      await t.test('default SASL settings', async (t) => {
        const stack = await start(TERMINATING[kind], { edit: UPSTREAM_TLS12[kind] });
        t.teardown(() => stack.stop());
        await loginsAre(t, generation, stack.proxy.port(5223), '1.2', expect.upstream12);
      });
      await t.test('disable_sasl_mechanisms holding every -PLUS mechanism', async (t) => {
        const stack = await start(TERMINATING[kind], { edit: UPSTREAM_TLS12[kind], disableSasl: NO_PLUS });
        t.teardown(() => stack.stop());
        await loginsAre(t, generation, stack.proxy.port(5223), '1.2', expect.upstream12NoPlus);
      });
    });

    t.test(`${generation.name}, ${kind}: passed through, routed by SNI`, async (t) => {
      const stack = await start(PASSTHROUGH[kind]);
      t.teardown(() => stack.stop());
      const port = stack.proxy.port(5223);
      for (const domain of DOMAINS) {
        // Shakes hands again if HAProxy dropped the log line (harness/proxies.mjs).
        const { r: shake, entry } = await loggedConnection(stack.proxy, async () => {
          const shake = await handshake(port, domain);
          return { ...shake, client: `127.0.0.1:${shake.localPort}` };
        });
        t.ok(shake.authorized, `${domain}: the certificate verifies against the test CA`);
        // (ejabberd here holds the shared certificate: one node serves all.)
        const own = pki.certs[generation.ejabberd ? 'xmpp' : domain].cert;
        t.equal(shake.fingerprint, fingerprint(own), `${domain}: the server's certificate, not the proxy's (${shake.subject})`);
        t.same([entry?.key, entry?.routeBy, entry?.to, entry?.stream], [domain, 'sni', domain, 'tls-client'], `${domain}: keyed on the SNI`);
      }
      for (const maxTls of ['1.2', '1.3']) await loginsAre(t, generation, port, maxTls, expect.passthrough[maxTls]);
      // Every login of a tenant on one server, by the servers' own logs.
      const where = {};
      for (const s of stack.prosody.servers) for (const jid of s.authenticated()) (where[jid] ??= new Set()).add(s.name);
      if (!generation.ejabberd) for (const account of accounts) t.equal(where[account.jid]?.size, 1, `${account.jid}: every login on ${[...(where[account.jid] ?? [])]}`);
    });
  }
}
