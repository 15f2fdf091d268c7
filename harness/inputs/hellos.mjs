// TLS ClientHellos for the parity and fuzz runs: the vectors of
// test/vectors/tls-hello.md, and mutations that keep enough of the structure to
// reach deep into core/tls-hello.ts (a random byte rarely does: most land in
// the random or a key share). Everything here is bytes (Buffer).
import { loadVectors } from '../vectors.mjs';

export function helloVectors() {
  return loadVectors('tls-hellos');
}

/** The handshake bytes of well-formed records, or null. */
function handshakeOf(bytes) {
  const parts = [];
  let at = 0;
  while (at + 5 <= bytes.length) {
    const length = bytes.readUInt16BE(at + 3);
    if (bytes[at] !== 0x16 || at + 5 + length > bytes.length) return null;
    parts.push(bytes.subarray(at + 5, at + 5 + length));
    at += 5 + length;
  }
  return at === bytes.length ? Buffer.concat(parts) : null;
}

/** Where the extensions of a ClientHello message are: [{ at, type, length }]. */
function extensionsOf(message) {
  let at = 4 + 2 + 32;
  if (at >= message.length) return null;
  at += 1 + message[at];
  if (at + 2 > message.length) return null;
  at += 2 + message.readUInt16BE(at);
  if (at + 1 > message.length) return null;
  at += 1 + message[at];
  if (at + 2 > message.length) return null;
  const list = [];
  const blockAt = at;
  at += 2;
  while (at + 4 <= message.length) {
    const length = message.readUInt16BE(at + 2);
    list.push({ at, type: message.readUInt16BE(at), length });
    at += 4 + length;
  }
  return { blockAt, list };
}

function records(message, sizes) {
  const out = [];
  let at = 0;
  let i = 0;
  while (at < message.length) {
    const size = Math.max(1, Math.min(16384, sizes[i++ % sizes.length]));
    const piece = message.subarray(at, at + size);
    out.push(Buffer.from([0x16, 0x03, 0x01, piece.length >> 8, piece.length & 0xff]), piece);
    at += size;
  }
  return Buffer.concat(out);
}

/** Rewrites the lengths of the message and of its extension block after an edit. */
function fixLengths(message, ext) {
  const m = Buffer.from(message);
  m.writeUIntBE(m.length - 4, 1, 3);
  if (ext) m.writeUInt16BE(m.length - ext.blockAt - 2, ext.blockAt);
  return m;
}

const GREASE = [0x0a0a, 0x1a1a, 0x2a2a, 0x3a3a, 0x4a4a, 0x5a5a, 0x6a6a, 0x7a7a, 0x8a8a, 0x9a9a, 0xaaaa, 0xbaba, 0xcaca, 0xdada, 0xeaea, 0xfafa];

/**
 * One hello, mutated where it matters: a length field off by a little or a
 * lot, an extension repeated, dropped or cut, a GREASE extension inserted,
 * the server_name renamed, the records split anew, the bytes cut short.
 * Falls back to a random byte when the input is no hello.
 */
export function mutateHello(rng, bytes) {
  const message = handshakeOf(bytes);
  const ext = message && message[0] === 1 ? extensionsOf(message) : null;
  const kind = rng.int(9);
  if (!message || !ext || kind === 0) {
    const b = Buffer.from(bytes);
    if (b.length) b[rng.int(b.length)] = rng.int(256);
    return b;
  }
  const pickExt = () => rng.pick(ext.list);
  const sizes = () => Array.from({ length: 1 + rng.int(4) }, () => rng.pick([1, 2, 3, 5, 7, 40, 100, 300, 16384]));
  if (kind === 1) return records(message, sizes());
  if (kind === 2) {
    // A length field of the record, the message, the block or an extension changed.
    const b = Buffer.from(bytes);
    const delta = rng.pick([1, -1, 2, -2, 255, -255, 256, 0x4000]);
    const offsets = [3, 5 + 1, 5 + 4 + 2 + 32 + 1 + bytes[5 + 4 + 2 + 32]];
    if (bytes.readUInt16BE(3) === message.length) for (const e of ext.list) offsets.push(5 + e.at + 2);
    const at = rng.pick(offsets);
    if (at + 2 <= b.length) b.writeUInt16BE((b.readUInt16BE(at) + delta) & 0xffff, at);
    return b;
  }
  if (ext.list.length === 0) return records(message, [16384]);
  const e = pickExt();
  const whole = message.subarray(e.at, e.at + 4 + e.length);
  let m;
  if (kind === 3) m = Buffer.concat([message.subarray(0, e.at), whole, whole, message.subarray(e.at + 4 + e.length)]); // repeated
  else if (kind === 4) m = Buffer.concat([message.subarray(0, e.at), message.subarray(e.at + 4 + e.length)]); // dropped
  else if (kind === 5) {
    const grease = Buffer.alloc(4 + rng.int(3));
    grease.writeUInt16BE(rng.pick(GREASE), 0);
    grease.writeUInt16BE(grease.length - 4, 2);
    m = Buffer.concat([message.subarray(0, e.at), grease, message.subarray(e.at)]);
  } else if (kind === 6) {
    // The server_name (or this extension) made to hold another name.
    const name = Buffer.from(rng.pick(['Other.Example', 'a', 'x'.repeat(300), 'b\u00fccher.example', 'a..b', 'u@h', '127.0.0.1', 'h.', '\u00ff']), 'utf8');
    const data = Buffer.concat([Buffer.from([0, (name.length + 3) >> 8, (name.length + 3) & 0xff, 0, name.length >> 8, name.length & 0xff]), name]);
    const sni = Buffer.concat([Buffer.from([0, 0, data.length >> 8, data.length & 0xff]), data]);
    const at = ext.list.find((x) => x.type === 0) ?? e;
    m = Buffer.concat([message.subarray(0, at.at), sni, message.subarray(at.at + 4 + at.length)]);
  } else if (kind === 7) {
    // An extension's data cut by a few bytes, its length kept.
    const cut = 1 + rng.int(Math.max(1, e.length));
    return records(Buffer.concat([message.subarray(0, e.at + 4 + e.length - cut), message.subarray(e.at + 4 + e.length)]), [16384]);
  } else {
    return bytes.subarray(0, rng.int(bytes.length)); // cut short
  }
  return records(fixLengths(m, ext), rng.chance(0.7) ? [16384] : sizes());
}
