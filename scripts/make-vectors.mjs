// One-off authoring aid, kept for review: writes test/vectors.json from the
// readable table below. The expectations are written by hand from the RFCs,
// never computed by the core.
import { writeFileSync } from 'node:fs';

const NS = "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'";
const SNS = "xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'";
const DECL = "<?xml version='1.0'?>";
const hdr = (attrs, ns = NS) => `${DECL}<stream:stream ${attrs} ${ns}>`;
const A = '$addr';
const from = (key, f, t = '') => ({ key, route_by: 'from', from: f, to: t });
const to = (key, f, t) => ({ key, route_by: 'to', from: f, to: t });
const addr = (f = '', t = '') => ({ key: A, route_by: 'addr', from: f, to: t });

const v = [];
const add = (name, ref, input, expect, policy = 'bare', extra = {}) => v.push({ name, ref, policy, input, expect, ...extra });

// The stream header, read as XML (RFC 6120 §4, XML 1.0)
add('typical client header', 'RFC 6120 §4.7', hdr("from='juliet@example.com' to='example.com'"), from('juliet@example.com', 'juliet@example.com', 'example.com'));
add('no XML declaration', 'XML 1.0 §2.8', `<stream:stream from='juliet@example.com' to='example.com' ${NS}>`, from('juliet@example.com', 'juliet@example.com', 'example.com'));
add('UTF-8 byte order mark', 'XML 1.0 §4.3.3', '\ufeff' + hdr("from='juliet@example.com'"), from('juliet@example.com', 'juliet@example.com'));
add('double quotes', 'XML 1.0 §2.3 AttValue', `<stream:stream from="juliet@example.com" to="example.com" xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams">`, from('juliet@example.com', 'juliet@example.com', 'example.com'));
add('white space around =', 'XML 1.0 §2.3 Eq', `<stream:stream from = 'juliet@example.com'\n\tto\t=\t'example.com' ${NS}>`, from('juliet@example.com', 'juliet@example.com', 'example.com'));
add('any prefix bound to the streams namespace', 'RFC 6120 §4.8.1', `<x:stream xmlns:x='http://etherx.jabber.org/streams' xmlns='jabber:client' from='juliet@example.com'>`, from('juliet@example.com', 'juliet@example.com'));
add('stream: prefix bound to another namespace', 'XML Namespaces §3', `<stream:stream xmlns:stream='urn:example:other' xmlns='jabber:client' from='juliet@example.com'>`, addr());
add('unbound prefix', 'XML Namespaces §5', `<stream:stream xmlns='jabber:client' from='juliet@example.com'>`, addr());
add('greater-than inside a quoted value', 'XML 1.0 §2.3', hdr("id='a>b' from='juliet@example.com'"), from('juliet@example.com', 'juliet@example.com'));
add('predefined entity in from', 'XML 1.0 §4.6', hdr("from='juliet&#64;example.com'"), from('juliet@example.com', 'juliet@example.com'));
add('hex character reference', 'XML 1.0 §4.1', hdr("from='&#x4A;uliet@example.com'"), from('juliet@example.com', 'juliet@example.com'));
add('&amp; in a localpart is not allowed', 'RFC 7622 §3.3.1', hdr("from='a&amp;b@example.com' to='example.com'"), addr('', 'example.com'));
add('&apos; in another attribute', 'XML 1.0 §4.6', hdr("id='it&apos;s' from='juliet@example.com'"), from('juliet@example.com', 'juliet@example.com'));
add('custom entity', 'RFC 6120 §11.1', hdr("from='&juliet;@example.com'"), addr());
add('entity without semicolon', 'XML 1.0 §4.1', hdr("from='juliet&amp@example.com'"), addr());
add('less-than inside a value', 'XML 1.0 §2.3', hdr("from='jul<iet@example.com'"), addr());
add('DOCTYPE', 'RFC 6120 §11.1', `${DECL}<!DOCTYPE stream:stream [<!ENTITY j "juliet">]><stream:stream from='&j;@example.com' ${NS}>`, addr());
add('comment before the stream', 'RFC 6120 §11.1', `${DECL}<!-- hi --><stream:stream from='juliet@example.com' ${NS}>`, addr());
add('processing instruction before the stream', 'RFC 6120 §11.1', `${DECL}<?foo bar?><stream:stream from='juliet@example.com' ${NS}>`, addr());
add('declaration in another encoding', 'RFC 6120 §11.6', `<?xml version='1.0' encoding='ISO-8859-1'?><stream:stream from='juliet@example.com' ${NS}>`, addr());
add('declaration says UTF-8', 'RFC 6120 §11.6', `<?xml version="1.0" encoding="UTF-8"?><stream:stream from='juliet@example.com' ${NS}>`, from('juliet@example.com', 'juliet@example.com'));
add('white space before the element', 'XML 1.0 §2.8 Misc', `${DECL}\n  <stream:stream from='juliet@example.com' ${NS}>`, from('juliet@example.com', 'juliet@example.com'));
add('duplicate attribute', 'XML 1.0 §3.1 uniqattspec', hdr("from='juliet@example.com' from='romeo@example.net'"), addr());
add('prefixed from is not from', 'RFC 6120 §4.7.1', hdr("x:from='juliet@example.com' xmlns:x='urn:x' to='example.com'"), addr('', 'example.com'));
add('FROM is not from', 'XML 1.0 §2.3 (names are case-sensitive)', hdr("FROM='juliet@example.com'"), addr());
add('attributes without white space between them', 'XML 1.0 §3.1', hdr("from='juliet@example.com'to='example.com'"), addr());
add('bytes pipelined after the header', 'RFC 6120 §4.2', hdr("from='juliet@example.com'") + '<starttls xmlns="urn:ietf:params:xml:ns:xmpp-tls"/>', from('juliet@example.com', 'juliet@example.com'));
add('not a stream element', 'RFC 6120 §4.8.1', `<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'>`, addr());
add('empty stream element', 'XML 1.0 §3.1 EmptyElemTag', `<stream:stream from='juliet@example.com' ${NS}/>`, from('juliet@example.com', 'juliet@example.com'));
add('HTTP request', 'not XMPP', 'GET / HTTP/1.1\r\nHost: example.com\r\n\r\n', addr());
// A whole ClientHello without server_name (test/tls-hellos.json has the others): by address, at once.
add('TLS ClientHello', 'RFC 8446 §4.1.2 (no server_name)', null, addr(), 'bare', { input_hex: '16030100510100004d03035a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a201111111111111111111111111111111111111111111111111111111111111111000613011302c02b0100' });
add('unknown content namespace', 'RFC 6120 §4.8.2', `<stream:stream from='juliet@example.com' to='example.com' xmlns='jabber:iq:other' xmlns:stream='http://etherx.jabber.org/streams'>`, addr('juliet@example.com', 'example.com'));
add('no content namespace', 'RFC 6120 §4.8.2', `<stream:stream from='juliet@example.com' to='example.com' xmlns:stream='http://etherx.jabber.org/streams'>`, addr('juliet@example.com', 'example.com'));
add('unprefixed stream in the streams namespace', 'RFC 6120 §4.8.2', `<stream xmlns='http://etherx.jabber.org/streams' from='juliet@example.com'>`, addr('juliet@example.com'));
add('header over the default limit', 'jidroute limit (8192 bytes)', hdr("from='juliet@example.com' id='" + 'x'.repeat(9000) + "'"), addr());
{
  const base = hdr("from='juliet@example.com' id=''");
  const exact = hdr("from='juliet@example.com' id='" + 'x'.repeat(8192 - base.length) + "'");
  add('header of exactly the default limit', 'jidroute limit (8192 bytes)', exact, from('juliet@example.com', 'juliet@example.com'));
  add('header one byte over the default limit', 'jidroute limit (8192 bytes)', exact.replace("id='", "id='x"), addr());
}

// JIDs (RFC 7622)
add('resource is dropped', 'RFC 7622 §3.1', hdr("from='juliet@example.com/balcony'"), from('juliet@example.com', 'juliet@example.com'));
add('resource with @ and /', 'RFC 7622 §3.1', hdr("from='juliet@example.com/foo@bar/baz'"), from('juliet@example.com', 'juliet@example.com'));
add('empty resource', 'RFC 7622 §3.4', hdr("from='juliet@example.com/' to='example.com'"), addr('', 'example.com'));
add('localpart is case-mapped', 'RFC 7622 §3.3.1', hdr("from='JuLiEt@example.com'"), from('juliet@example.com', 'juliet@example.com'));
add('domain is lowercased', 'RFC 7622 §3.2', hdr("from='juliet@EXAMPLE.Com' to='Example.COM'"), from('juliet@example.com', 'juliet@example.com', 'example.com'));
add('trailing dot removed', 'RFC 7622 §3.2', hdr("from='juliet@example.com.' to='example.com.'"), from('juliet@example.com', 'juliet@example.com', 'example.com'));
add('non-ASCII localpart case-mapped', 'RFC 7622 §3.3.1, RFC 8265 §3.3.2', hdr("from='ÉLODIE@example.com'"), from('élodie@example.com', 'élodie@example.com'));
add('Greek capital letters', 'RFC 8265 §3.3.2', hdr("from='ΣΩΚΡΑΤΗΣ@example.gr'"), from('σωκρατησ@example.gr', 'σωκρατησ@example.gr'));
add('Cyrillic localpart and IDN domain', 'RFC 7622 §3.2', hdr("from='ИВАН@ПРИМЕР.РФ'"), from('иван@пример.рф', 'иван@пример.рф'));
add('Deseret (outside the BMP)', 'RFC 8265 §3.3.2', hdr("from='\u{10400}@example.com'"), from('\u{10428}@example.com', '\u{10428}@example.com'));
add('from without a localpart is no account', 'RFC 6120 §4.7.1', hdr("from='example.com'"), addr('example.com'));
add('empty localpart', 'RFC 7622 §3.3', hdr("from='@example.com' to='example.com'"), addr('', 'example.com'));
add('localpart with a quote (via reference)', 'RFC 7622 §3.3.1', hdr("from='jul&quot;iet@example.com'"), addr());
add('localpart with a colon', 'RFC 7622 §3.3.1', hdr("from='jul:iet@example.com'"), addr());
add('localpart with a space', 'RFC 8264 §9.14 (spaces are disallowed)', hdr("from='jul iet@example.com'"), addr());
add('two @: domain holds an @', 'RFC 7622 §3.1', hdr("from='a@b@example.com'"), addr());
add('empty domain', 'RFC 7622 §3.2', hdr("from='juliet@' to='example.com'"), addr('', 'example.com'));
add('domain is a lone dot', 'RFC 7622 §3.2', hdr("from='juliet@.'"), addr());
add('domain with an empty label', 'RFC 7622 §3.2', hdr("from='juliet@example..com'"), addr());
add('IPv4 domain', 'RFC 7622 §3.2', hdr("from='juliet@192.0.2.7'"), from('juliet@192.0.2.7', 'juliet@192.0.2.7'));
add('IPv6 literal domain', 'RFC 7622 §3.2', hdr("from='juliet@[2001:DB8::1]'"), from('juliet@[2001:db8::1]', 'juliet@[2001:db8::1]'));
add('empty from', 'RFC 6120 §4.7.1', hdr("from='' to='example.com'"), addr('', 'example.com'));
add('localpart of 1023 octets', 'RFC 7622 §3.3', hdr(`from='${'a'.repeat(1023)}@example.com'`), from(`${'a'.repeat(1023)}@example.com`, `${'a'.repeat(1023)}@example.com`));
add('localpart of 1024 octets', 'RFC 7622 §3.3', hdr(`from='${'a'.repeat(1024)}@example.com'`), addr());
add('invalid UTF-8 in the localpart', 'RFC 7622 §3.3, RFC 3629', null, addr(), 'bare', { input_hex: Buffer.from(`<stream:stream ${NS} from='jul`).toString('hex') + 'ff' + Buffer.from(`iet@example.com'>`).toString('hex') });
add('U+FFFD in the localpart', 'RFC 8264 §9.11 (symbols)', hdr("from='jul\ufffdiet@example.com'"), addr());
add('control character in the domain', 'RFC 7622 §3.2', hdr("from='juliet@exa&#x7F;mple.com'"), addr());
add('underscore in the domain', 'RFC 5890 §2.3.1 (LDH)', hdr("from='juliet@ex_ample.com'"), addr());

// Policies and stream kinds
add('bare policy without from routes by address', 'jidroute bare policy', hdr("to='example.com'"), addr('', 'example.com'));
add('domain policy keys on to, not on the domain of from', 'RFC 6120 §4.7.2', hdr("from='juliet@Tenant-A.example' to='example.com'"), to('example.com', 'juliet@tenant-a.example', 'example.com'), 'domain');
add('domain policy takes the domain of from when there is no to', 'jidroute domain policy', hdr("from='juliet@Tenant-A.example'"), from('tenant-a.example', 'juliet@tenant-a.example'), 'domain');
add('from in another domain than to is ignored', 'RFC 6120 §4.7.1', hdr("from='juliet@other.example' to='example.com'"), addr('juliet@other.example', 'example.com'));
add('from that is a host name (sendxmpp) is ignored', 'RFC 6120 §4.7.1', hdr("from='localhost' to='example.com'"), addr('localhost', 'example.com'));
add('from that is a host name under the domain policy keys on to', 'RFC 6120 §4.7.2', hdr("from='localhost' to='Tenant-C.example'"), to('tenant-c.example', 'localhost', 'tenant-c.example'), 'domain');
add('from and to equal after normalisation', 'RFC 7622 §3.2', hdr("from='Juliet@EXAMPLE.com./phone' to='example.com'"), from('juliet@example.com', 'juliet@example.com', 'example.com'));
add('from with an invalid to is no account', 'RFC 6120 §4.7.1', hdr("from='juliet@example.com' to='exa mple.com'"), addr('juliet@example.com'));
add('domain policy falls back to to', 'jidroute domain policy', hdr("to='Tenant-B.example'"), to('tenant-b.example', '', 'tenant-b.example'), 'domain');
add('domain policy with an invalid from falls back to to', 'jidroute domain policy', hdr("from='@x' to='tenant-b.example'"), to('tenant-b.example', '', 'tenant-b.example'), 'domain');
add('domain policy with neither', 'jidroute domain policy', hdr("version='1.0'"), addr(), 'domain');
add('server-to-server routes by to', 'RFC 6120 §4.7.2', `<stream:stream from='other.example' to='Example.com' ${SNS}>`, to('example.com', 'other.example', 'example.com'));
add('server-to-server under the domain policy', 'RFC 6120 §4.7.2', `<stream:stream from='other.example' to='example.com' ${SNS}>`, to('example.com', 'other.example', 'example.com'), 'domain');
add('server-to-server without to', 'RFC 6120 §4.7.2', `<stream:stream from='other.example' ${SNS}>`, addr('other.example'));
add('component stream routes by to', 'XEP-0114 §3', `<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' to='Pubsub.example.com'>`, to('pubsub.example.com', '', 'pubsub.example.com'));

writeFileSync(new URL('../test/vectors.json', import.meta.url), JSON.stringify(v, null, 1) + '\n');
console.log(`${v.length} vectors`);
