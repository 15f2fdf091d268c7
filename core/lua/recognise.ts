// The recogniser of the Lua build (HAProxy): the stream headers real clients
// send (test/vectors/client-shapes.md), read and routed with Lua patterns. Lua
// patterns have no alternation and no look-ahead, so it takes one native
// match per attribute (a header has about six) instead of core/js/recognise.ts's
// single expression, and the same checks in a few lines of code: the
// declaration, the element and its prefix, no attribute twice, the streams
// namespace bound to the prefix, the content namespace, `from` and `to` as
// ASCII JIDs, then core/key.ts's streamRoute (the rule the full reader
// applies too). Anything else returns undefined and goes to the full reader
// (header.ts) unchanged. The shapes it reads are the JavaScript one's; the
// answers are the full reader's (test/recogniser.test.mjs).
import { CLIENT_NS, COMPONENT_NS, Policy, Route, SERVER_NS, STREAMS_NS, StreamKind, streamRoute } from '../key';
import { Recogniser } from '../router';
import { skipClassLua } from './charclass';
import { lowerPartLua } from './casemap';
import { isXmlTextLua } from './xmltext';
import { attributeRunLua } from './attributes';

// Lua's own functions held in locals: a call then reads one upvalue instead
// of the global table `string` and its field (HAProxy runs a hook on every
// Lua instruction, so each one counts there).
const find = string.find;
const match = string.match;

/** Headers longer than this go to the full reader (every JID part then fits
 * RFC 7622's 1,023 octets without counting). */
const RECOGNISED_MAX = 1024;

// What a call costs decides the shape of this file (lua5.3 under callgrind,
// bench/README.md): any string.match or string.find costs ~1,000
// instructions before it reads a byte, a set `[...]` 55 (the byte's item
// first) to 160 (last) a byte, a lazy `-` ~115, a plain find almost nothing
// a byte. So the common header takes one plain find for its opening, one
// match per attribute, one for `from` as user@domain and none more for a
// `to` equal to that domain; anything else takes the general lines below,
// which give the same answers for what both read.

/** The opening most clients send: checked with one plain find. */
const COMMON_OPENING = "<?xml version='1.0'?><stream:stream";
const COMMON_PREFIX = 'stream';
const COMMON_STREAMS_DECLARATION = 'xmlns:stream';
// The attributes every client sends with the same bytes, in either quote,
// each after one space: found with a plain find each (a pattern costs ~60
// instructions a byte even for literal bytes) and passed over where the
// attribute loop arrives at one. No value holds a quote, '=' or '>', so such
// a string can only stand where an attribute starts; one found elsewhere
// (after the tag) is never arrived at.
const STREAMS_ATTRIBUTE_SINGLE = " xmlns:stream='" + STREAMS_NS + "'";
const STREAMS_ATTRIBUTE_DOUBLE = ' xmlns:stream="' + STREAMS_NS + '"';
const CLIENT_ATTRIBUTE_SINGLE = " xmlns='" + CLIENT_NS + "'";
const CLIENT_ATTRIBUTE_DOUBLE = ' xmlns="' + CLIENT_NS + '"';
const VERSION_ATTRIBUTE_SINGLE = " version='1.0'";
const VERSION_ATTRIBUTE_DOUBLE = ' version="1.0"';
/** Not the same for every client, but the one most send. */
const LANG_ATTRIBUTE_SINGLE = " xml:lang='en'";
const LANG_ATTRIBUTE_DOUBLE = ' xml:lang="en"';
// Their lengths (either quote) and the opening's, as numbers: `#s` is two
// Lua instructions more each time (under HAProxy ~60 instructions of the
// machine each).
const AFTER_COMMON_OPENING = COMMON_OPENING.length + 1;
const STREAMS_LENGTH = STREAMS_ATTRIBUTE_SINGLE.length;
const CLIENT_LENGTH = CLIENT_ATTRIBUTE_SINGLE.length;
const VERSION_LENGTH = VERSION_ATTRIBUTE_SINGLE.length;
const LANG_LENGTH = LANG_ATTRIBUTE_SINGLE.length;

// Attribute values it reads: printable ASCII without the quotes, '&', '<',
// '>' and '=' (as core/js/recognise.ts). Captures: the name, the quote, the
// value, where the attribute ends. Lua tests a byte against a set's items in
// order: lower-case letters first makes a value three times cheaper (55
// against 160 instructions a byte, lua5.3 under callgrind).
const ATTRIBUTE = '^[ \t\r\n]+([a-zA-Z_][a-zA-Z0-9_.:%-]*)=([\'"])([?-~(-; !#$%%]*)%2()';
const NCNAME = '^[A-Za-z_][A-Za-z0-9_.%-]*$';
/** An ASCII domainpart (labels of letters, digits and '-'), captured without
 * one trailing dot; '..' is refused after. */
const DOMAIN = '^([A-Za-z0-9%-][A-Za-z0-9.%-]-)%.?$';
/** The common domain: no trailing dot, at least two bytes, greedy (a lazy
 * `-` costs twice as much a byte); '..' is refused after. Whatever it takes,
 * DOMAIN takes whole too. */
const DOMAIN_COMMON = '^[a-zA-Z0-9%-][a-zA-Z0-9.%-]*[a-zA-Z0-9%-]$';
/** A localpart's ASCII bytes (RFC 7622 §3.3.1, less '=') up to its '@'. */
const LOCALPART = '^[A-~?(-.0-9;!#$%%]+@';
const RESOURCE = '^[?-~(-; !#$%%]+$';
/** The common `from`: LOCALPART's bytes, '@', DOMAIN_COMMON, no resource.
 * Captures the domain. */
const FROM_COMMON = '^[a-~A-`?(-.0-9;!#$%%]+@([a-zA-Z0-9%-][a-zA-Z0-9.%-]*[a-zA-Z0-9%-])$';
/** FROM_COMMON in lower case (no A-Z) as a whole attribute after one space
 * (found with a plain find): captures the quote, the value, its domain, where
 * it ends. Lower case as most clients send it: nothing left to lowercase. */
const FROM_ATTRIBUTE_LOWER = "^ from=(['\"])([a-~[-`?(-.0-9;!#$%%]+@([a-z0-9%-][a-z0-9.%-]*[a-z0-9%-]))%1()";
/** FROM_ATTRIBUTE_LOWER and then, after one space, a `to` of its domain in
 * the same quotes, as most clients that send `from` write it: the
 * back-references %1 (the quote) and %3 (the domain) read `to` in the same
 * match, instead of a string made for a plain find (a match costs ~1,300
 * instructions, a string and a find ~2,000). */
const FROM_TO_LOWER = "^ from=(['\"])([a-~[-`?(-.0-9;!#$%%]+@([a-z0-9%-][a-z0-9.%-]*[a-z0-9%-]))%1 to=%1%3%1()";

/** Where the element starts (1-based): after an XML declaration of version
 * 1.0 and UTF-8, if any, and white space; 0 for any other declaration. */
function elementStart(bytes: string): number {
  if (find(bytes, '<?xml', 1, true) !== 1) return 1;
  const [, afterVersion] = match<[string | undefined, number]>(bytes, '^<%?xml version=([\'"])1%.0%1()', 1);
  if (afterVersion === undefined) return 0;
  let [closed] = match<[number | undefined]>(bytes, '^%?>()', afterVersion);
  if (closed === undefined) {
    const [, encoding, after] = match<[string | undefined, string, number]>(bytes, '^ encoding=([\'"])([%w%-]*)%1%?>()', afterVersion);
    if (encoding !== 'UTF-8' && encoding !== 'utf-8') return 0;
    closed = after;
  }
  const [start] = match<[number]>(bytes, '^[ \t\r\n]*()', closed);
  return start;
}

/** An ASCII domain without its trailing dot, or undefined. */
function asciiDomain(raw: string): string | undefined {
  const [domain] = match<[string | undefined]>(raw, DOMAIN, 1);
  if (domain === undefined || find(domain, '..', 1, true) !== undefined || find(domain, '%.$', 1) !== undefined) return undefined;
  return domain;
}

/** An ASCII domain as asciiDomain reads it, lowercased, or undefined. */
function lowerDomain(raw: string): string | undefined {
  if (find(raw, DOMAIN_COMMON, 1) !== undefined) {
    return find(raw, '..', 1, true) === undefined ? raw.toLowerCase() : undefined;
  }
  const domain = asciiDomain(raw);
  return domain === undefined ? undefined : domain.toLowerCase();
}

export function recogniseLua(this: void, bytes: string, policy: Policy, limit: number): Route | undefined {
  let prefix: string | undefined;
  let afterName: number;
  if (find(bytes, COMMON_OPENING, 1, true) === 1) {
    prefix = COMMON_PREFIX;
    afterName = AFTER_COMMON_OPENING;
  } else {
    const start = elementStart(bytes);
    if (start === 0) return undefined;
    [prefix, afterName] = match<[string | undefined, number]>(bytes, '^<([A-Za-z_][A-Za-z0-9_.%-]*):stream()', start);
    if (prefix === undefined) return undefined;
  }
  // No value or name holds a '>': the first one after the element's name
  // ends the tag, or the tag is not one this reads.
  const tagEnd = find(bytes, '>', afterName, true);
  if (tagEnd === undefined || tagEnd > limit || tagEnd > RECOGNISED_MAX) return undefined;
  let atStreams: number | undefined;
  let atClient: number | undefined;
  let atVersion: number | undefined;
  let atLang: number | undefined;
  const atFrom = find(bytes, ' from=', afterName, true);
  if (prefix === COMMON_PREFIX) atStreams = find(bytes, STREAMS_ATTRIBUTE_SINGLE, afterName, true);
  if (atStreams !== undefined) {
    atClient = find(bytes, CLIENT_ATTRIBUTE_SINGLE, afterName, true);
    atVersion = find(bytes, VERSION_ATTRIBUTE_SINGLE, afterName, true);
    atLang = find(bytes, LANG_ATTRIBUTE_SINGLE, afterName, true);
  } else {
    if (prefix === COMMON_PREFIX) atStreams = find(bytes, STREAMS_ATTRIBUTE_DOUBLE, afterName, true);
    atClient = find(bytes, CLIENT_ATTRIBUTE_DOUBLE, afterName, true);
    atVersion = find(bytes, VERSION_ATTRIBUTE_DOUBLE, afterName, true);
    atLang = find(bytes, LANG_ATTRIBUTE_DOUBLE, afterName, true);
  }
  // `from` and a `to` of its domain where `from` is (FROM_TO_LOWER), read
  // once here for the check below and the loop after it. Before the loop's
  // variables: fewer live registers under the calls (see routeOf).
  // (Four variables, no hole: tstl makes a table of `[, a] = ...`.)
  let fromToQuote: string | undefined;
  let fromToValue = '';
  let fromToDomain = '';
  let fromToEnd = 0;
  if (atFrom !== undefined && atFrom < tagEnd) {
    [fromToQuote, fromToValue, fromToDomain, fromToEnd] = match<[string | undefined, string, string, number]>(bytes, FROM_TO_LOWER, atFrom);
  }
  // The common header without the loop: the attributes found above, when
  // they fill the tag from its name to the '>' exactly, are the tag, and the
  // loop would read them and nothing else. They cannot overlap: each starts
  // with a space, and none holds one after its first byte but FROM_TO_LOWER's
  // before `to=`, where none of the others can start; none holds a '>', so
  // one that starts before the tag's end ends before it. So if the lengths
  // of those found before the '>' add up to the tag's, they are all of it,
  // each once. The streams and the content namespace are required here (the
  // checks after the loop would refuse a tag without them anyway).
  if (atStreams !== undefined && atStreams < tagEnd && atClient !== undefined && atClient < tagEnd) {
    let filled = STREAMS_LENGTH + CLIENT_LENGTH;
    if (fromToQuote !== undefined) filled += fromToEnd - atFrom!;
    if (atVersion !== undefined && atVersion < tagEnd) filled += VERSION_LENGTH;
    if (atLang !== undefined && atLang < tagEnd) filled += LANG_LENGTH;
    if (filled === tagEnd - afterName) {
      // What routeOf makes of them, without its call: a client stream, and
      // `from` (lower case) with `to` of its domain, or neither.
      if (fromToQuote === undefined) return streamRoute(policy, 'client', '', '', false, '', false, '');
      if (find(fromToDomain, '..', 1, true) !== undefined) return undefined;
      return streamRoute(policy, 'client', fromToValue, fromToDomain, true, fromToDomain, true, '');
    }
  }
  let pos = afterName;
  let from: string | undefined;
  let to: string | undefined;
  let content: string | undefined;
  let streams: string | undefined;
  let version = false;
  let lang = false;
  let id = false;
  let declared = ' ';
  /** The domain of a `from` read by FROM_ATTRIBUTE_LOWER or FROM_TO_LOWER. */
  let fromLower: string | undefined;
  while (pos !== tagEnd) {
    // The three common attributes, as the branches below would read them.
    if (pos === atStreams) {
      if (streams !== undefined) return undefined;
      streams = STREAMS_NS;
      pos += STREAMS_LENGTH;
      continue;
    }
    if (pos === atClient) {
      if (content !== undefined) return undefined;
      content = CLIENT_NS;
      pos += CLIENT_LENGTH;
      continue;
    }
    if (pos === atVersion) {
      if (version) return undefined;
      version = true;
      pos += VERSION_LENGTH;
      continue;
    }
    if (pos === atLang) {
      if (lang) return undefined;
      lang = true;
      pos += LANG_LENGTH;
      continue;
    }
    if (pos === atFrom && from === undefined) {
      // Most clients that send `from` send `to` next, of the same domain in
      // the same quotes: FROM_TO_LOWER read both (as the branch for `to`
      // below would read that `to`).
      if (fromToQuote !== undefined && to === undefined) {
        from = fromToValue;
        fromLower = fromToDomain;
        to = fromToDomain;
        pos = fromToEnd;
        continue;
      }
      const [quote, value, domain, next] = match<[string | undefined, string, string, number]>(bytes, FROM_ATTRIBUTE_LOWER, pos);
      if (quote !== undefined) {
        from = value;
        fromLower = domain;
        pos = next;
        continue;
      }
    }
    const [name, , value, next] = match<[string | undefined, string, string, number]>(bytes, ATTRIBUTE, pos);
    if (name === undefined) {
      // White space before the '>', or not a tag this reads.
      if (match<[number | undefined]>(bytes, '^[ \t\r\n]*>()', pos)[0] === undefined) return undefined;
      break;
    }
    pos = next;
    if (name === 'from') {
      if (from !== undefined) return undefined;
      from = value;
    } else if (name === 'to') {
      if (to !== undefined) return undefined;
      to = value;
    } else if (name === 'xmlns') {
      if (content !== undefined) return undefined;
      content = value;
    } else if (name === 'version') {
      if (version) return undefined;
      version = true;
    } else if (name === 'xml:lang') {
      if (lang) return undefined;
      lang = true;
    } else if (name === 'id') {
      if (id) return undefined;
      id = true;
    } else if (name === COMMON_STREAMS_DECLARATION && prefix === COMMON_PREFIX) {
      // The branch below, for the common prefix without its pattern calls.
      if (value === '' || streams !== undefined) return undefined;
      streams = value;
    } else if (find(name, 'xmlns:', 1, true) === 1) {
      const declares = match<[string]>(name, '^xmlns:(.*)$', 1)[0];
      if (value === '' || find(declares, NCNAME, 1) === undefined) return undefined;
      if (declares === prefix) {
        if (streams !== undefined) return undefined;
        streams = value;
      } else {
        if (find(declared, ' ' + declares + ' ', 1, true) !== undefined) return undefined;
        declared = declared + declares + ' ';
      }
    } else {
      return undefined;
    }
  }
  return routeOf(policy, streams, content, from, to, fromLower);
}

/** The route of the attributes recogniseLua read, or undefined. Its own
 * function, called last (a tail call: its frame takes recogniseLua's place)
 * so that its calls run lower on the Lua thread's stack, which HAProxy keeps
 * for the connection: every C call asks for 20 free slots above it, and the
 * stack doubles (80 slots to 160, 1.25 KiB more) when that does not fit. */
function routeOf(policy: Policy, streams: string | undefined, content: string | undefined, from: string | undefined,
  to: string | undefined, fromLower: string | undefined): Route | undefined {
  if (streams !== STREAMS_NS) return undefined;
  let stream: StreamKind;
  if (content === CLIENT_NS) stream = 'client';
  else if (content === SERVER_NS) stream = 'server';
  else if (content === COMPONENT_NS) stream = 'component';
  else return undefined;

  let toDomain: string | undefined;
  let fromKey = '';
  let fromDomain = '';
  let hasLocal = false;
  if (fromLower !== undefined) {
    // As below, with nothing to lowercase.
    if (find(fromLower, '..', 1, true) !== undefined) return undefined;
    fromDomain = fromLower;
    fromKey = from as string;
    hasLocal = true;
    if (to === fromLower) toDomain = fromDomain;
  } else if (from !== undefined) {
    const [common] = match<[string | undefined]>(from, FROM_COMMON, 1);
    if (common !== undefined) {
      // user@domain: the key is `from` lowercased whole (the general lines
      // below would join the lowered parts), and a `to` of the same bytes
      // is the domain just checked.
      if (find(common, '..', 1, true) !== undefined) return undefined;
      fromDomain = common.toLowerCase();
      fromKey = from.toLowerCase();
      hasLocal = true;
      if (to === common) toDomain = fromDomain;
    } else {
      // RFC 7622 §3.1: the resourcepart starts at the first '/', the
      // localpart ends at the first '@' before it.
      let bare = from;
      const slash = find(from, '/', 1, true);
      if (slash !== undefined) {
        if (find(from, RESOURCE, slash + 1) === undefined) return undefined;
        bare = match<[string]>(from, '^([^/]*)', 1)[0];
      }
      let local = '';
      let domainPart = bare;
      if (find(bare, '@', 1, true) !== undefined) {
        if (find(bare, LOCALPART, 1) === undefined) return undefined;
        const [l, d] = match<[string, string]>(bare, '^([^@]*)@(.*)$', 1);
        local = l.toLowerCase();
        domainPart = d;
      }
      const domain = lowerDomain(domainPart);
      if (domain === undefined) return undefined;
      fromDomain = domain;
      fromKey = local === '' ? fromDomain : local + '@' + fromDomain;
      hasLocal = local !== '';
    }
  }
  if (to !== undefined && toDomain === undefined) {
    toDomain = lowerDomain(to);
    if (toDomain === undefined) return undefined;
  }
  return streamRoute(policy, stream, fromKey, fromDomain, hasLocal,
    toDomain === undefined ? '' : toDomain, to !== undefined, '');
}

/** What haproxy/jidroute.ts hands to the router. */
export const RECOGNISER_LUA: Recogniser = { recognise: recogniseLua, skipClass: skipClassLua, lowerPart: lowerPartLua, isXmlText: isXmlTextLua, attributeRun: attributeRunLua };
