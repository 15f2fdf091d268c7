// The case mapping of a non-ASCII JID part for the Lua build (HAProxy):
// core/jid.ts's lowerPart, done by Lua's string library with no Lua code a
// code point. lowerPart's loop costs about 23k instructions a code point in
// lua5.3 (typescript-to-lua's parseInt and charCodeAt helpers, and a string
// made again for every code point), and a string.gsub calling a function per
// code point still about 10k; here utf8.len checks the UTF-8, and one
// string.gsub with a table maps every code point that changes, or that the
// part may not hold (to a NUL byte, which one plain string.find then sees):
// under 1k instructions a code point. core/js/casemap.ts is the JavaScript
// one; test/casemap.test.mjs (every code point), test/lua-parity.test.mjs and
// test/fuzz-core.test.mjs hold the two builds to the same answers.
import { encodeUtf8 } from '../bytes';
import { lowerMultiUtf8 } from '../casemap';
import { BLOCKS, DELTAS, DELTA_WIDTH, FIRST_CHAR, PAGES, PAGE_SIZE } from '../casemap-table';
import { LOCALPART } from '../jid';

type SequenceMap = { [sequence: string]: string };

/** What a code point the part may not hold becomes in the mapping: a NUL
 * byte, which no part holds (it is refused itself). */
const REFUSED = String.fromCharCode(0);

/** A byte the mapping must look at, and the continuation bytes after it: in a
 * localpart, ASCII capitals, the ASCII it refuses (controls, space,
 * " & ' / : < > @) and every byte above 0x7f; in a domain, anything but
 * a-z, 0-9, '.' and '-'. Raw bytes through String.fromCharCode (string.char). */
const CONTINUATION = '[' + String.fromCharCode(0x80) + '-' + String.fromCharCode(0xbf) + ']*';
const LOCALPART_LOOKED_AT = '[' + String.fromCharCode(0) + '-' + String.fromCharCode(0x20) + '"&\'/:<>@A-Z' +
  String.fromCharCode(0x7f) + '-' + String.fromCharCode(0xff) + ']' + CONTINUATION;
const DOMAIN_LOOKED_AT = '[^a-z0-9.%-]' + CONTINUATION;
/** A lead byte of a surrogate's UTF-8 (lua5.3's utf8.len takes those). */
const SURROGATE_LEAD = String.fromCharCode(0xed);
const SURROGATE = SURROGATE_LEAD + '[' + String.fromCharCode(0xa0) + '-' + String.fromCharCode(0xbf) + ']';

/** Whether a JID part may not hold code point `cp` whatever its kind
 * (core/jid.ts's isForbiddenAnywhere and isSpaceSeparator). */
function refusedAnywhere(cp: number): boolean {
  if (cp < 0x1680) return cp <= 0x20 || (cp >= 0x7f && cp <= 0xa0);
  return cp === 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp === 0x2028 || cp === 0x2029 ||
    cp === 0x202f || cp === 0x205f || cp === 0x3000 || cp === 0xfffd;
}

/** The ASCII a part of `kind` refuses beyond refusedAnywhere's. */
function refusedAscii(b: number, kind: number): boolean {
  if (kind === LOCALPART) {
    return b === 0x22 || b === 0x26 || b === 0x27 || b === 0x2f || b === 0x3a || b === 0x3c || b === 0x3e || b === 0x40;
  }
  return !((b >= 0x61 && b <= 0x7a) || (b >= 0x41 && b <= 0x5a) || (b >= 0x30 && b <= 0x39) || b === 0x2d || b === 0x2e);
}

/** The UTF-8 of every non-ASCII code point that lowers to another, to that
 * one's; of every one no part may hold, to REFUSED. Read from the core's
 * table (core/casemap-table.ts) with string.byte and tonumber, not with
 * casemap.ts's lowerCodePoint (typescript-to-lua's parseInt would make this
 * take some 30M instructions instead of a few M). */
function nonAsciiMap(): SequenceMap {
  const map: SequenceMap = {};
  for (let cp = 0x80; cp <= 0xa0; cp++) map[encodeUtf8(cp)] = REFUSED;
  for (const cp of [0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfffd]) map[encodeUtf8(cp)] = REFUSED;
  for (let cp = 0x2000; cp <= 0x200a; cp++) map[encodeUtf8(cp)] = REFUSED;
  // Which page each block is: PAGES has a byte a page, the block's number.
  const pageOf: number[] = [];
  for (let page = 0; page < PAGES.length; page++) {
    const [pageByte] = string.byte(PAGES, page + 1, page + 1);
    if (pageByte !== FIRST_CHAR) pageOf[pageByte - FIRST_CHAR] = page;
  }
  // Every entry that is not ' ', found by string.find.
  let at = string.find(BLOCKS, '[^ ]', 1);
  while (at !== undefined) {
    const [entryByte] = string.byte(BLOCKS, at, at);
    const entry = entryByte - FIRST_CHAR;
    const cp = pageOf[(at - 1 - ((at - 1) % PAGE_SIZE)) / PAGE_SIZE + 1] * PAGE_SIZE + ((at - 1) % PAGE_SIZE);
    if (entry === 1) {
      map[encodeUtf8(cp)] = lowerMultiUtf8(cp);
    } else {
      const record = entry * DELTA_WIDTH + 1;
      const [sign] = string.byte(DELTAS, record, record);
      const delta = tonumber(string.sub(DELTAS, record + 1, record + 5), 16) as number;
      map[encodeUtf8(cp)] = encodeUtf8(sign === 0x2d ? cp - delta : cp + delta);
    }
    at = string.find(BLOCKS, '[^ ]', at + 1);
  }
  return map;
}

/** nonAsciiMap's entries, and ASCII's for a part of `kind`: capitals to small
 * letters, what it refuses to REFUSED. Made once a Lua state, on the first
 * non-ASCII part of each kind: a table the Lua state keeps, the same for
 * every connection, never changed once made. */
function sequenceMap(kind: number, nonAscii: SequenceMap): SequenceMap {
  const map: SequenceMap = {};
  for (const sequence in nonAscii) map[sequence] = nonAscii[sequence];
  for (let cp = 0; cp < 0x80; cp++) {
    if (refusedAnywhere(cp) || refusedAscii(cp, kind)) map[String.fromCharCode(cp)] = REFUSED;
    else if (cp >= 0x41 && cp <= 0x5a) map[String.fromCharCode(cp)] = String.fromCharCode(cp + 32);
  }
  return map;
}

let nonAsciiLowered: SequenceMap | undefined;
let localpartMap: SequenceMap | undefined;
let domainMap: SequenceMap | undefined;

function nonAscii(): SequenceMap {
  if (nonAsciiLowered === undefined) nonAsciiLowered = nonAsciiMap();
  return nonAsciiLowered;
}

export function lowerPartLua(this: void, part: string, kind: number): string | undefined {
  // UTF-8 (no overlongs, nothing above U+10FFFF in lua5.3 and lua5.4 alike;
  // surrogates looked for apart, as lua5.3 takes them).
  if (utf8.len(part) === undefined) return undefined;
  if (string.find(part, SURROGATE_LEAD, 1, true) !== undefined && string.find(part, SURROGATE, 1) !== undefined) return undefined;
  let map: SequenceMap;
  if (kind === LOCALPART) {
    if (localpartMap === undefined) localpartMap = sequenceMap(LOCALPART, nonAscii());
    map = localpartMap;
  } else {
    if (domainMap === undefined) domainMap = sequenceMap(kind, nonAscii());
    map = domainMap;
  }
  const [mapped] = string.gsub(part, kind === LOCALPART ? LOCALPART_LOOKED_AT : DOMAIN_LOOKED_AT, map);
  return string.find(mapped, REFUSED, 1, true) === undefined ? mapped : undefined;
}
