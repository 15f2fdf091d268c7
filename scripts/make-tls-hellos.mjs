// Authoring aid, kept for review: writes test/vectors/tls-hello.md, the TLS
// ClientHello vectors (core/tls-hello.ts), from real hellos captured from
// OpenSSL's s_client and Node's tls (scripts/tls-hellos-captured.mjs) and
// crafted ones built below. The expectations are written by hand from the
// RFCs (RFC 8446 §4.1.2 and §5.1, RFC 6066 §3, RFC 7301 §3.1, XEP-0368),
// never computed by the core.
//
//   node scripts/make-tls-hellos.mjs             # writes test/vectors/tls-hello.md
//   node scripts/make-tls-hellos.mjs --capture   # captures the real hellos again
import { writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import net from 'node:net';
import tls from 'node:tls';
import { CAPTURED } from './tls-hellos-captured.mjs';

// ---------------------------------------------------------------- capture

const CAPTURES = {
  'openssl-sni-alpn-client': ['openssl', ['-servername', 'Tenant-One.Example', '-alpn', 'xmpp-client']],
  'openssl-no-sni': ['openssl', ['-noservername', '-alpn', 'xmpp-client']],
  'openssl-sni-alpn-server': ['openssl', ['-servername', 'example.net', '-alpn', 'xmpp-server']],
  'openssl-tls12-sni-noalpn': ['openssl', ['-tls1_2', '-servername', 'example.com']],
  'openssl-sni-h2': ['openssl', ['-servername', 'example.com', '-alpn', 'h2,http/1.1']],
  'node-sni-alpn-client': ['node', { servername: 'tenant-two.example', ALPNProtocols: ['xmpp-client'] }],
  'node-sni-alpn-server': ['node', { servername: 'example.org', ALPNProtocols: ['xmpp-server'] }],
  'node-sni-noalpn': ['node', { servername: 'tenant-two.example' }],
  'node-no-sni': ['node', { servername: '', ALPNProtocols: ['xmpp-client'] }],
};

/** The first flight of one client, as hex: a listener on loopback that reads
 * for 700 ms and never answers. */
function capture([client, options]) {
  return new Promise((resolve) => {
    const server = net.createServer((s) => {
      const chunks = [];
      s.on('data', (d) => chunks.push(d));
      setTimeout(() => { s.destroy(); server.close(); resolve(Buffer.concat(chunks).toString('hex')); }, 700);
    });
    server.listen(0, '127.0.0.1', () => {
      const port = server.address().port;
      if (client === 'openssl') {
        const p = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...options], { stdio: ['pipe', 'ignore', 'ignore'] });
        setTimeout(() => p.kill(), 1500);
      } else {
        tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options }).on('error', () => {});
      }
    });
  });
}

if (process.argv.includes('--capture')) {
  let out = "// Captured by scripts/make-tls-hellos.mjs --capture: the first flight of\n" +
    "// OpenSSL's s_client and Node's tls.connect (versions in the commit message).\nexport const CAPTURED = {\n";
  for (const [name, how] of Object.entries(CAPTURES)) out += `  '${name}': '${await capture(how)}',\n`;
  writeFileSync(new URL('./tls-hellos-captured.mjs', import.meta.url), out + '};\n');
  process.exit(0);
}

// ---------------------------------------------------------------- crafting

const u8 = (n) => Buffer.from([n]);
const u16 = (n) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const vec16 = (b) => Buffer.concat([u16(b.length), b]);
const vec8 = (b) => Buffer.concat([u8(b.length), b]);
const ascii = (s) => Buffer.from(s, 'utf8');

const ext = (type, data) => Buffer.concat([u16(type), vec16(data)]);
/** server_name with one entry per name: [type, name] or a name (host_name). */
const sni = (...names) => ext(0, vec16(Buffer.concat(names.map((n) => {
  const [type, name] = Array.isArray(n) ? n : [0, n];
  return Buffer.concat([u8(type), vec16(ascii(name))]);
}))));
const alpn = (...protocols) => ext(16, vec16(Buffer.concat(protocols.map((p) => vec8(Buffer.isBuffer(p) ? p : ascii(p))))));
const GREASE = [0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0xfafa];
const supportedVersions = ext(43, vec8(Buffer.concat([u16(0x0a0a), u16(0x0304), u16(0x0303)])));
const groups = ext(10, vec16(Buffer.concat([u16(0x1a1a), u16(0x001d), u16(0x0017)])));
const keyShare = ext(51, vec16(Buffer.concat([u16(0x001d), vec16(Buffer.alloc(32, 0x42))])));
const signatures = ext(13, vec16(Buffer.concat([u16(0x0403), u16(0x0804), u16(0x0401)])));

/** A ClientHello message (handshake header included). `extensions`: a list of
 * extensions, or null for none at all (TLS 1.2 allows it). */
function clientHello(extensions, { sessionId = 32, suites = [0x1301, 0x1302, 0xc02b], trailing = Buffer.alloc(0) } = {}) {
  const body = Buffer.concat([
    u16(0x0303), Buffer.alloc(32, 0x5a), vec8(Buffer.alloc(sessionId, 0x11)),
    vec16(Buffer.concat(suites.map(u16))), vec8(Buffer.from([0])),
    extensions === null ? Buffer.alloc(0) : vec16(Buffer.concat(extensions)), trailing,
  ]);
  return Buffer.concat([u8(1), u24(body.length), body]);
}
/** The message in records of at most `size` bytes each. */
function records(message, size = 16384, version = 0x0301) {
  const out = [];
  for (let at = 0; at < message.length; at += size) {
    const piece = message.subarray(at, at + size);
    out.push(Buffer.concat([u8(0x16), u16(version), u16(piece.length), piece]));
  }
  return Buffer.concat(out);
}
const usual = (name, ...more) => [sni(name), alpn('xmpp-client'), supportedVersions, groups, keyShare, signatures, ...more];

// ---------------------------------------------------------------- vectors

const A = '$addr';
const v = [];
/** expect: [bare route, domain route]; each { key, routeBy, to, stream }. */
function add(name, ref, bytes, bare, domain = bare, extra = {}) {
  for (const [policy, e] of [['bare', bare], ['domain', domain]]) {
    v.push({ name: `${name} (${policy})`, ref, policy, inputHex: bytes.toString('hex'), expect: { from: '', ...e }, ...extra });
  }
}
const bySni = (name, stream = 'tls-client') => ({ key: name, routeBy: 'sni', to: name, stream });
const byAddr = (to, stream = 'tls-client') => ({ key: A, routeBy: 'addr', to, stream });
const whole = (b) => ({ decidedAt: b.length });

// Real hellos.
const real = (name) => Buffer.from(CAPTURED[name], 'hex');
for (const [name, bare, domain, ref] of [
  ['openssl-sni-alpn-client', byAddr('tenant-one.example'), bySni('tenant-one.example'), 'RFC 6066 §3, XEP-0368: name lowercased as a domainpart'],
  ['openssl-no-sni', byAddr(''), byAddr(''), 'RFC 6066 §3: no server_name'],
  ['openssl-sni-alpn-server', bySni('example.net', 'tls-server'), bySni('example.net', 'tls-server'), 'XEP-0368 §3: ALPN xmpp-server'],
  ['openssl-tls12-sni-noalpn', byAddr('example.com'), bySni('example.com'), 'RFC 5246 §7.4.1.2; no ALPN is a client'],
  ['openssl-sni-h2', byAddr('example.com', 'not-xml'), byAddr('example.com', 'not-xml'), 'RFC 7301 §3.1: ALPN without an XMPP protocol'],
  ['node-sni-alpn-client', byAddr('tenant-two.example'), bySni('tenant-two.example'), 'XEP-0368 §3: ALPN xmpp-client'],
  ['node-sni-alpn-server', bySni('example.org', 'tls-server'), bySni('example.org', 'tls-server'), 'XEP-0368 §3: ALPN xmpp-server'],
  ['node-sni-noalpn', byAddr('tenant-two.example'), bySni('tenant-two.example'), 'XEP-0368: no ALPN is a client'],
  ['node-no-sni', byAddr(''), byAddr(''), 'RFC 6066 §3: no server_name'],
]) {
  const bytes = real(name);
  add(`captured ${name}`, ref, bytes, bare, domain, { ...whole(bytes), source: name.startsWith('node') ? 'Node 20.20.2 tls' : 'OpenSSL 3.0.22 s_client' });
}

// Crafted hellos: shapes.
const typical = records(clientHello(usual('tenant.example')));
add('typical hello', 'RFC 8446 §4.1.2', typical, byAddr('tenant.example'), bySni('tenant.example'), whole(typical));
const noExtensions = records(clientHello(null));
add('TLS 1.2 hello without extensions', 'RFC 5246 §7.4.1.2', noExtensions, byAddr(''), byAddr(''), whole(noExtensions));
const emptySession = records(clientHello(usual('tenant.example'), { sessionId: 0 }));
add('empty legacy_session_id', 'RFC 8446 §4.1.2', emptySession, byAddr('tenant.example'), bySni('tenant.example'));
add('record version 0x0303', 'RFC 8446 §5.1', records(clientHello(usual('tenant.example')), 16384, 0x0303), byAddr('tenant.example'), bySni('tenant.example'));
add('trailing dot and upper case in the name', 'RFC 7622 §3.2 (as to)', records(clientHello(usual('TENANT.Example.'))), byAddr('tenant.example'), bySni('tenant.example'));
add('UTF-8 name', 'RFC 7622 §3.2 (as to)', records(clientHello(usual('b\u00dccher.example'))), byAddr('b\u00fccher.example'), bySni('b\u00fccher.example'));
add('name that is no domain', 'RFC 7622 §3.2', records(clientHello(usual('user@tenant.example'))), byAddr(''));
add('name with an empty label', 'RFC 7622 §3.2', records(clientHello(usual('tenant..example'))), byAddr(''));
const twoNames = records(clientHello([sni('a.example', 'b.example'), alpn('xmpp-client')]));
add('two host names', 'RFC 6066 §3: one name of a type', twoNames, byAddr(''), byAddr(''), whole(twoNames));
add('a host name and a name of another type', 'RFC 6066 §3', records(clientHello([sni('a.example', [7, 'b.example']), alpn('xmpp-client')])), byAddr(''));
add('only a name of an unknown type', 'RFC 6066 §3', records(clientHello([sni([7, 'b.example']), alpn('xmpp-client')])), byAddr(''));
add('both XMPP protocols offered', 'XEP-0368 §3', records(clientHello([sni('tenant.example'), alpn('xmpp-client', 'xmpp-server')])), byAddr('tenant.example'), bySni('tenant.example'));
add('xmpp-server after another protocol', 'RFC 7301 §3.1', records(clientHello([sni('peer.example'), alpn('h2', 'xmpp-server')])), bySni('peer.example', 'tls-server'));
add('server hello without a name', 'XEP-0368 §3', records(clientHello([alpn('xmpp-server')])), byAddr('', 'tls-server'));
const greased = records(clientHello([
  ext(GREASE[0], Buffer.alloc(0)), sni('grease.example'), ext(GREASE[1], Buffer.from([0])),
  alpn(Buffer.from([0x0a, 0x0a]), 'xmpp-client'), supportedVersions, groups, keyShare, ext(GREASE[5], Buffer.alloc(0)),
], { suites: [GREASE[2], 0x1301, 0x1302] }));
add('GREASE extensions, cipher suite, ALPN value, group and version', 'RFC 8701 §2', greased, byAddr('grease.example'), bySni('grease.example'));
// Encrypted Client Hello: the outer hello names the public name; the tenant is inside, encrypted.
const ech = records(clientHello([
  sni('public.example'), alpn('xmpp-client'), supportedVersions, groups, keyShare,
  ext(0xfe0d, Buffer.concat([u8(0), u16(0x0001), u16(0x0001), u8(0x2a), vec16(Buffer.alloc(32, 0x33)), vec16(Buffer.alloc(160, 0x44))])),
]));
add('Encrypted Client Hello: the outer name is the public name', 'draft-ietf-tls-esni §6.1', ech, byAddr('public.example'), bySni('public.example'));
const padded = records(clientHello(usual('tenant.example', ext(21, Buffer.alloc(7000)))));
add('padding to 7 KB', 'RFC 7685', padded, byAddr('tenant.example'), bySni('tenant.example'), whole(padded));

// Framing: records and pieces.
const split3 = records(clientHello(usual('split.example')), 100);
add('hello across records of 100 bytes', 'RFC 8446 §5.1', split3, byAddr('split.example'), bySni('split.example'), whole(split3));
const split1 = records(clientHello(usual('split.example')), 1);
add('hello in records of one byte', 'RFC 8446 §5.1', split1, byAddr('split.example'), bySni('split.example'), whole(split1));
{
  const message = clientHello(usual('split.example'));
  const headerSplit = Buffer.concat([records(message.subarray(0, 2)), records(message.subarray(2))]);
  add('handshake header split across records', 'RFC 8446 §5.1', headerSplit, byAddr('split.example'), bySni('split.example'), whole(headerSplit));
}
const early = Buffer.concat([typical, Buffer.from('170303000a', 'hex'), Buffer.alloc(10, 0x77)]);
add('early data after the hello', 'RFC 8446 §4.2.10', early, byAddr('tenant.example'), bySni('tenant.example'), { decidedAt: typical.length });
{
  const message = clientHello(usual('tenant.example'));
  const coalesced = records(Buffer.concat([message, Buffer.from('0f000000', 'hex')]));
  add('another handshake message after it in the record', 'RFC 8446 §5.1', coalesced, byAddr('tenant.example'), bySni('tenant.example'), { decidedAt: 5 + message.length });
}
const truncated = typical.subarray(0, typical.length - 1);
add('truncated: the last byte missing', 'RFC 8446 §5.1', truncated, byAddr('', 'incomplete'), byAddr('', 'incomplete'), { decidedAt: -1 });
add('truncated: a record header only', 'RFC 8446 §5.1', typical.subarray(0, 5), byAddr('', 'incomplete'), byAddr('', 'incomplete'), { decidedAt: -1 });
{
  const message = clientHello(usual('tenant.example'));
  add('truncated: the second record missing', 'RFC 8446 §5.1', records(message, 200).subarray(0, 205), byAddr('', 'incomplete'), byAddr('', 'incomplete'));
}
const huge = records(clientHello(usual('tenant.example', ext(21, Buffer.alloc(9000)))));
add('hello over the header limit', 'jidroute limit (8192 bytes)', huge, byAddr('', 'too-long'), byAddr('', 'too-long'), { decidedAt: 9 });
{
  // Exactly at the limit: 8192 bytes in all.
  const base = records(clientHello(usual('tenant.example', ext(21, Buffer.alloc(0))))).length;
  const exact = records(clientHello(usual('tenant.example', ext(21, Buffer.alloc(8192 - base)))));
  add('hello of exactly the header limit', 'jidroute limit (8192 bytes)', exact, byAddr('tenant.example'), bySni('tenant.example'), whole(exact));
  const over = records(clientHello(usual('tenant.example', ext(21, Buffer.alloc(8193 - base)))));
  add('hello one byte over the header limit', 'jidroute limit (8192 bytes)', over, byAddr('', 'too-long'), byAddr('', 'too-long'));
}

// Malformed: by address, at once.
const bad = (name, ref, bytes) => add(name, ref, bytes, byAddr('', 'not-xml'), byAddr('', 'not-xml'));
bad('duplicate server_name extension', 'RFC 8446 §4.2', records(clientHello([sni('a.example'), alpn('xmpp-client'), sni('a.example')])));
bad('duplicate ALPN extension', 'RFC 8446 §4.2', records(clientHello([sni('a.example'), alpn('xmpp-client'), alpn('xmpp-client')])));
{
  const message = clientHello([sni('a.example'), alpn('xmpp-client')]);
  // The ALPN extension claims 200 bytes more than there are.
  const at = message.indexOf(Buffer.from([0x00, 0x10]), 40);
  const oversized = Buffer.from(message);
  oversized.writeUInt16BE(oversized.readUInt16BE(at + 2) + 200, at + 2);
  bad('extension longer than its block', 'RFC 8446 §4.2', records(oversized));
}
bad('empty server_name list', 'RFC 6066 §3', records(clientHello([ext(0, vec16(Buffer.alloc(0))), alpn('xmpp-client')])));
bad('empty host name', 'RFC 6066 §3', records(clientHello([sni(''), alpn('xmpp-client')])));
bad('empty ALPN protocol', 'RFC 7301 §3.1', records(clientHello([sni('a.example'), alpn('', 'xmpp-client')])));
bad('bytes after the extensions', 'RFC 8446 §4.1.2', records(clientHello([sni('a.example')], { trailing: Buffer.from([0]) })));
bad('session id of 33 bytes', 'RFC 8446 §4.1.2', records(clientHello([sni('a.example')], { sessionId: 33 })));
bad('empty cipher_suites', 'RFC 8446 §4.1.2', records(clientHello([sni('a.example')], { suites: [] })));
{
  // cipher_suites of 3 bytes: the length field says 3, one byte more follows.
  const message = clientHello([sni('a.example')], { suites: [0x1301] });
  const odd = Buffer.concat([message.subarray(0, 4 + 2 + 32 + 1 + 32), u16(3), message.subarray(4 + 2 + 32 + 1 + 32 + 2, 4 + 2 + 32 + 1 + 32 + 4), Buffer.from([0x13]), message.subarray(4 + 2 + 32 + 1 + 32 + 4)]);
  odd.writeUIntBE(odd.length - 4, 1, 3);
  bad('odd cipher_suites length', 'RFC 8446 §4.1.2', records(odd));
}
bad('a ServerHello, not a ClientHello', 'RFC 8446 §4', records(Buffer.concat([u8(2), clientHello([sni('a.example')]).subarray(1)])));
bad('empty handshake record before the hello', 'RFC 8446 §5.1', Buffer.concat([Buffer.from('1603010000', 'hex'), typical]));
bad('record larger than 2^14', 'RFC 8446 §5.1', Buffer.concat([Buffer.from('1603014001', 'hex'), typical.subarray(5)]));
bad('record version 2.0', 'RFC 8446 §5.1', Buffer.concat([Buffer.from('160200', 'hex'), typical.subarray(3)]));
{
  const message = clientHello(usual('tenant.example'));
  const first = records(message.subarray(0, 100));
  const alert = Buffer.from('15030100020100', 'hex');
  bad('an alert between the records of a hello', 'RFC 8446 §5.1', Buffer.concat([first, alert, records(message.subarray(100))]));
}
// The shape the core read before: a hello whose record is longer than what came.
add('TLS record start without the rest', 'RFC 8446 §5.1', Buffer.from('160301020001000200030301', 'hex'), byAddr('', 'incomplete'), byAddr('', 'incomplete'));

// As a Markdown fixture (test/vectors/README.md): hex inputs, 64 digits a line.
const md = ['# TLS ClientHello: Direct TLS passed through, routed by SNI', '',
  'RFC 8446 §4.1.2 (https://www.rfc-editor.org/rfc/rfc8446#section-4.1.2), RFC 6066 §3 server_name, RFC 7301 ALPN, XEP-0368. ' +
  'Written by scripts/make-tls-hellos.mjs (captured hellos and crafted ones); format: [README.md](README.md).', ''];
for (const c of v) {
  md.push(`## ${c.name}`, '', `- ref: ${c.ref}`, `- policy: ${c.policy}`);
  if (c.source) md.push(`- source: ${c.source}`);
  if (c.decidedAt !== undefined) md.push(`- decided at: ${c.decidedAt}`);
  md.push('', '```hex', ...(c.inputHex.match(/.{1,64}/g) ?? ['']), '```', '', '```route');
  for (const k of ['key', 'routeBy', 'from', 'to', 'stream']) if (c.expect[k] !== undefined) md.push(`${k}:${c.expect[k] === '' ? '' : ' ' + c.expect[k]}`);
  md.push('```', '');
}
writeFileSync(new URL('../test/vectors/tls-hello.md', import.meta.url), md.join('\n'));
console.log(`wrote test/vectors/tls-hello.md: ${v.length} vectors`);
