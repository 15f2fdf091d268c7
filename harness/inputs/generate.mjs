// Generated and mutated stream headers, from a seed, for the parity,
// differential and fuzz runs. Everything here is bytes (Buffer).

/** mulberry32: small, seedable, the same sequence everywhere. */
export function random(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng = {
    next,
    int: (n) => Math.floor(next() * n),
    pick: (list) => list[Math.floor(next() * list.length)],
    chance: (p) => next() < p,
  };
  return rng;
}

// Letters of several scripts, both cases, to exercise the case mapping; and
// the characters JIDs forbid.
const LETTERS = [
  ...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789',
  ...'._-+', ...'ÀÉÎÕÜßàéîõüÆæØø', ...'ΑΒΓΣΩαβγσως', ...'АБВЖЯабвжя', ...'ԱԲԳաբգ',
  ...'ႠႡႢⴀⴁ', 'İ', 'ı', 'K', 'Ａ', 'ａ', '\u{10400}', '\u{10428}', 'Ǆ', 'ǅ', 'ǆ', '中', '文', '😀',
];
const FORBIDDEN = ['"', '&', "'", '/', ':', '<', '>', '@', ' ', '\u00a0', '\u3000', '\ufffd', '\u0001', '\u007f'];
const DOMAIN_LABELS = ['example', 'Example', 'EXAMPLE', 'tenant-a', 'Tenant-B', 'xn--bcher-kva', 'bücher', 'BÜCHER',
  'пример', 'ПРИМЕР', 'com', 'org', 'im', 'a', '127', '0', '1'];

function text(rng, alphabet, min, max) {
  const n = min + rng.int(max - min + 1);
  let s = '';
  for (let i = 0; i < n; i++) s += rng.pick(alphabet);
  return s;
}

export function randomLocalpart(rng) {
  let s = text(rng, LETTERS, 1, 12);
  if (rng.chance(0.08)) s = s.slice(0, rng.int(s.length)) + rng.pick(FORBIDDEN) + s.slice(1);
  if (rng.chance(0.02)) s = '';
  return s;
}

export function randomDomain(rng) {
  if (rng.chance(0.03)) return `[${rng.pick(['2001:DB8::1', '::1', 'fe80::a:B'])}]`;
  const labels = Array.from({ length: 1 + rng.int(3) }, () => rng.pick(DOMAIN_LABELS));
  let d = labels.join('.');
  if (rng.chance(0.1)) d += '.';
  if (rng.chance(0.03)) d = d.replace('.', '..');
  if (rng.chance(0.03)) d = d.replace('e', rng.pick(['_', ' ', '!']));
  return d;
}

export function randomJid(rng) {
  let jid = randomDomain(rng);
  if (rng.chance(0.8)) jid = `${randomLocalpart(rng)}@${jid}`;
  if (rng.chance(0.5)) jid += '/' + (rng.chance(0.05) ? '' : text(rng, LETTERS, 1, 8) + (rng.chance(0.2) ? '@x/y' : ''));
  return jid;
}

const NAME_START = [...'abcXYZ_', 'é', 'Ж', '中'];
const NAME_CHARS = [...NAME_START, ...'09.-_', '·'];

/** An attribute name: XML name characters, sometimes with a prefix that is
 * declared (xml:) or not. */
export function randomName(rng) {
  const name = rng.pick(NAME_START) + text(rng, NAME_CHARS, 0, 8);
  if (rng.chance(0.2)) return `${rng.pick(['xml', 'p', 'q_1'])}:${name}`;
  return name;
}

/** An attribute value as XML may spell it: some characters as references. */
export function escapeValue(rng, value, quote) {
  let out = '';
  for (const ch of value) {
    const cp = ch.codePointAt(0);
    if (ch === '&') out += rng.pick(['&amp;', '&#38;', '&#x26;']);
    else if (ch === '<') out += rng.pick(['&lt;', '&#60;']);
    else if (ch === quote) out += quote === "'" ? rng.pick(['&apos;', '&#39;']) : rng.pick(['&quot;', '&#34;']);
    else if (ch === '>' && rng.chance(0.5)) out += '&gt;';
    else if (cp < 0x20) out += `&#${cp};`;
    else if (rng.chance(0.04)) out += rng.chance(0.5) ? `&#${cp};` : `&#x${cp.toString(16)};`;
    else out += ch;
  }
  return out;
}

const CONTENT_NS = ['jabber:client', 'jabber:client', 'jabber:client', 'jabber:server', 'jabber:component:accept', 'jabber:other'];
const STREAMS_NS = 'http://etherx.jabber.org/streams';

/** A well-formed stream header (mostly), as a string, with what it says. */
export function randomHeader(rng) {
  const prefix = rng.pick(['stream', 'stream', 'x', 'foo', 's']);
  const attrs = [];
  const from = rng.chance(0.8) ? randomJid(rng) : undefined;
  const to = rng.chance(0.8) ? (rng.chance(0.9) ? randomDomain(rng) : randomJid(rng)) : undefined;
  if (from !== undefined) attrs.push(['from', from]);
  if (to !== undefined) attrs.push(['to', to]);
  attrs.push(['xmlns', rng.pick(CONTENT_NS)]);
  attrs.push([`xmlns:${prefix}`, STREAMS_NS]);
  if (rng.chance(0.7)) attrs.push(['version', '1.0']);
  if (rng.chance(0.3)) attrs.push(['xml:lang', rng.pick(['en', 'de-CH', 'fr'])]);
  if (rng.chance(0.2)) attrs.push(['id', text(rng, LETTERS, 1, 20) + '>']);
  // Names of every kind of name character XML allows, prefixed ones among them.
  if (rng.chance(0.3)) attrs.push([randomName(rng), text(rng, LETTERS, 0, 6)]);
  for (let i = attrs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [attrs[i], attrs[j]] = [attrs[j], attrs[i]];
  }
  const space = () => rng.pick([' ', ' ', ' ', '  ', '\n', '\t', '\r\n ']);
  const eq = () => rng.pick(['=', '=', ' = ', '\t=', '=\n']);
  let s = '';
  if (rng.chance(0.05)) s += '\ufeff';
  if (rng.chance(0.6)) s += rng.pick(["<?xml version='1.0'?>", '<?xml version="1.0" encoding="UTF-8"?>', "<?xml version='1.0' encoding='utf-8' standalone='yes' ?>"]);
  if (rng.chance(0.2)) s += rng.pick(['\n', ' ', '\r\n']);
  s += `<${prefix}:stream`;
  for (const [name, value] of attrs) {
    const quote = rng.pick(["'", '"']);
    s += `${space()}${name}${eq()}${quote}${escapeValue(rng, value, quote)}${quote}`;
  }
  s += rng.chance(0.05) ? '/>' : rng.chance(0.1) ? `${space()}>` : '>';
  return { text: s, from, to };
}

/** A copy of `bytes` with a few random edits: bytes changed, inserted,
 * dropped or repeated, or the end cut off. */
export function mutate(rng, bytes) {
  let b = Buffer.from(bytes);
  const edits = 1 + rng.int(3);
  const special = [0x3c, 0x3e, 0x27, 0x22, 0x26, 0x3b, 0x3d, 0x20, 0x40, 0x2f, 0x3a, 0x00, 0x80, 0xc3, 0xef, 0xff, 0x23, 0x78, 0x5f, 0x2d, 0x2e, 0x09, 0x0a, 0x7f];
  for (let e = 0; e < edits && b.length > 0; e++) {
    const at = rng.int(b.length);
    const kind = rng.int(5);
    const byte = rng.chance(0.6) ? rng.pick(special) : rng.int(256);
    if (kind === 0) b[at] = byte;
    else if (kind === 1) b = Buffer.concat([b.subarray(0, at), Buffer.from([byte]), b.subarray(at)]);
    else if (kind === 2) b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
    else if (kind === 3) { const n = rng.int(8) + 1; b = Buffer.concat([b.subarray(0, at + n), b.subarray(at)]); }
    else b = b.subarray(0, at);
  }
  return b;
}

/** Random cut points (sorted lengths) for feeding `length` bytes in pieces. */
export function randomCuts(rng, length) {
  const n = rng.int(5);
  const cuts = Array.from({ length: n }, () => rng.int(length + 1));
  return [...new Set(cuts)].sort((a, b) => a - b);
}
