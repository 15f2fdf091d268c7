// A TLS ClientHello as a Direct TLS client (XEP-0368) sends it, to route
// through the same core as a passthrough listener does: server_name
// (RFC 6066 §3) the name given, ALPN (RFC 7301) xmpp-client or
// xmpp-server. Only these two extensions and supported_versions matter to
// jidroute; the rest of the hello is fixed filler.

const u16 = (n) => Buffer.from([n >> 8, n & 0xff]);
const u24 = (n) => Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
const ext = (type, body) => Buffer.concat([u16(type), u16(body.length), body]);

/** The bytes of one TLS record holding a ClientHello for `name`. */
export function clientHello(name, { alpn = 'xmpp-client' } = {}) {
  const host = Buffer.from(name, 'utf8');
  const sni = Buffer.concat([u16(host.length + 3), Buffer.from([0]), u16(host.length), host]);
  const proto = Buffer.from(alpn);
  const alpnBody = Buffer.concat([u16(proto.length + 1), Buffer.from([proto.length]), proto]);
  const extensions = Buffer.concat([ext(0, sni), ext(16, alpnBody), ext(43, Buffer.from([2, 3, 4]))]);
  const body = Buffer.concat([
    Buffer.from([3, 3]), Buffer.alloc(32, 0x2a), Buffer.from([0]), // version, random, no session id
    u16(2), Buffer.from([0x13, 0x01]), Buffer.from([1, 0]), // TLS_AES_128_GCM_SHA256; no compression
    u16(extensions.length), extensions,
  ]);
  const message = Buffer.concat([Buffer.from([1]), u24(body.length), body]);
  return Buffer.concat([Buffer.from([0x16, 3, 1]), u16(message.length), message]);
}
