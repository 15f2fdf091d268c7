// The recogniser of the JavaScript builds (njs, and Node in the tests): the
// stream headers real clients send (test/vectors/client-shapes.md), read by one
// native regular expression and routed. In njs every bytecode step is
// interpreted and every allocation stays until the connection ends, so the
// expression does the reading (the declaration, the element and its prefix,
// every attribute and its quotes), and a few lines check what it captured:
// no attribute twice, the streams namespace bound to the prefix, the content
// namespace, `from` and `to` as ASCII JIDs (one more native test), then
// core/key.ts's streamRoute, the rule the full reader applies too. Anything
// else returns undefined and goes to the full reader (header.ts) unchanged.
// core/lua/recognise.ts reads the same shapes for HAProxy;
// test/recogniser.test.mjs holds both to the full reader's answers.
import { CLIENT_NS, COMPONENT_NS, Policy, Route, SERVER_NS, STREAMS_NS, StreamKind, streamRoute } from '../key';
import { Recogniser } from '../router';
import { skipClassJs } from './charclass';
import { lowerPartJs } from './casemap';
import { isXmlTextJs } from './xmltext';

/** Headers longer than this go to the full reader. Every JID part then fits
 * RFC 7622's 1,023 octets (§3.1) without counting. */
export const RECOGNISED_MAX = 1024;

// Values it reads: printable ASCII without the quotes, '&' (no references to
// decode), '<', '>' and '=' (so a '>' can only close the tag). Names:
// xml:lang and NAME or xmlns:NAME; which ones, and that none comes twice, the
// code below checks.
//
// Seven attribute slots, written out (a client sends at most seven): a
// repeated group would keep only its last attribute in JavaScript (njs's PCRE
// keeps the others, QuickJS and V8 do not), and look-aheads that search the
// tag for each attribute cost njs ten times as much (about 200k instructions
// against 25k for this one, callgrind). Groups: 1, 2 the declaration's
// quotes; 3 the element's prefix; then for each slot k (0..6): 4 + 3k the
// name, 5 + 3k the value in single quotes, 6 + 3k in double quotes (a
// back-referenced quote with one value group cost njs more: 22.5k against
// 20.9k for the expression).
//
// A literal, not new RegExp(...): njs 0.7.9 compiles a RegExp made by the
// constructor again in every connection; a literal is compiled once.
const HEADER_SHAPE =
  /^(?:<\?xml version=(['"])1\.0\1(?: encoding=(['"])(?:UTF|utf)-8\2)?\?>[ \t\r\n]*)?<([A-Za-z_][A-Za-z0-9_.-]*):stream(?:[ \t\r\n]+((?:xmlns:)?[A-Za-z_][A-Za-z0-9_.-]*|xml:lang)=(?:'([ !#-%(-;?-~]*)'|"([ !#-%(-;?-~]*)"))?(?:[ \t\r\n]+((?:xmlns:)?[A-Za-z_][A-Za-z0-9_.-]*|xml:lang)=(?:'([ !#-%(-;?-~]*)'|"([ !#-%(-;?-~]*)"))?(?:[ \t\r\n]+((?:xmlns:)?[A-Za-z_][A-Za-z0-9_.-]*|xml:lang)=(?:'([ !#-%(-;?-~]*)'|"([ !#-%(-;?-~]*)"))?(?:[ \t\r\n]+((?:xmlns:)?[A-Za-z_][A-Za-z0-9_.-]*|xml:lang)=(?:'([ !#-%(-;?-~]*)'|"([ !#-%(-;?-~]*)"))?(?:[ \t\r\n]+((?:xmlns:)?[A-Za-z_][A-Za-z0-9_.-]*|xml:lang)=(?:'([ !#-%(-;?-~]*)'|"([ !#-%(-;?-~]*)"))?(?:[ \t\r\n]+((?:xmlns:)?[A-Za-z_][A-Za-z0-9_.-]*|xml:lang)=(?:'([ !#-%(-;?-~]*)'|"([ !#-%(-;?-~]*)"))?(?:[ \t\r\n]+((?:xmlns:)?[A-Za-z_][A-Za-z0-9_.-]*|xml:lang)=(?:'([ !#-%(-;?-~]*)'|"([ !#-%(-;?-~]*)"))?[ \t\r\n]*>/;
const SLOTS_END = 4 + 3 * 7;

/** `from` and `to` as ASCII JIDs, in one exec: "FROM\nTO" (either may be
 * empty; no value read holds a line feed). Groups: 1 `from`'s bare JID and 2
 * its domain, 3 `to`'s domain, each without one trailing dot (RFC 7622 §3.2).
 * RFC 7622 §3.1: the resourcepart starts at the first '/' and needs no more
 * checks in printable ASCII; the localpart ends at the first '@' and may not
 * hold ' ' or ':' (§3.3.1; the other excluded characters are in no value
 * read here); a domain is labels of letters, digits and '-'. */
const ASCII_JIDS =
  /^(?:((?:[!#-%(-.0-9;?A-~]+@)?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*))\.?(?:\/[ !#-%(-;?-~]+)?)?\n(?:([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)\.?)?$/;

export function recogniseJs(this: void, bytes: string, policy: Policy, limit: number): Route | undefined {
  const m = HEADER_SHAPE.exec(bytes.length > RECOGNISED_MAX ? bytes.substring(0, RECOGNISED_MAX) : bytes);
  if (m === null || m[0].length > limit) return undefined;
  const streamsName = 'xmlns:' + m[3];
  let from: string | undefined;
  let to: string | undefined;
  let content: string | undefined;
  let streams: string | undefined;
  let version = false;
  let lang = false;
  let id = false;
  // Each step costs a few hundred instructions in njs: the common names
  // first, a value read only where it is used. The slots that matched come
  // first (each slot takes an attribute before the next may).
  for (let k = 4; k < SLOTS_END; k += 3) {
    const name = m[k];
    if (name === undefined) break;
    if (name === 'from') {
      if (from !== undefined) return undefined;
      from = m[k + 1] !== undefined ? m[k + 1] : m[k + 2];
    } else if (name === 'to') {
      if (to !== undefined) return undefined;
      to = m[k + 1] !== undefined ? m[k + 1] : m[k + 2];
    } else if (name === 'xmlns') {
      if (content !== undefined) return undefined;
      content = m[k + 1] !== undefined ? m[k + 1] : m[k + 2];
    } else if (name === streamsName) {
      if (streams !== undefined) return undefined;
      streams = m[k + 1] !== undefined ? m[k + 1] : m[k + 2];
    } else if (name === 'version') {
      if (version) return undefined;
      version = true;
    } else if (name === 'xml:lang') {
      if (lang) return undefined;
      lang = true;
    } else if (name === 'id') {
      if (id) return undefined;
      id = true;
    } else if (name.charCodeAt(5) === 0x3a) {
      // Another xmlns:NAME (the expression allows no other prefixed name but
      // xml:lang): declared once, not empty (Namespaces in XML §3).
      if ((m[k + 1] !== undefined ? m[k + 1] : m[k + 2]) === '') return undefined;
      for (let j = 4; j < k; j += 3) if (m[j] === name) return undefined;
    } else {
      return undefined;
    }
  }
  if (streams !== STREAMS_NS) return undefined;
  let stream: StreamKind;
  if (content === CLIENT_NS) stream = 'client';
  else if (content === SERVER_NS) stream = 'server';
  else if (content === COMPONENT_NS) stream = 'component';
  else return undefined;

  // ASCII only: toLowerCase is the localpart's and the domain's case mapping,
  // done once for both (it moves no byte out of its class in ASCII_JIDS).
  const jids = ASCII_JIDS.exec(((from === undefined ? '' : from) + '\n' + (to === undefined ? '' : to)).toLowerCase());
  if (jids === null || (from !== undefined && from !== '' && jids[1] === undefined) || (to !== undefined && to !== '' && jids[3] === undefined)) {
    return undefined;
  }
  const toDomain = jids[3] === undefined ? '' : jids[3];
  const fromBare = jids[1];
  if (fromBare === undefined) return streamRoute(policy, stream, '', '', false, toDomain, to !== undefined, '');
  const fromDomain = jids[2];
  return streamRoute(policy, stream, fromBare, fromDomain, fromBare.length !== fromDomain.length, toDomain,
    to !== undefined, '');
}

/** What njs/jidroute.ts hands to the router. */
export const RECOGNISER_JS: Recogniser = { recognise: recogniseJs, skipClass: skipClassJs, lowerPart: lowerPartJs, isXmlText: isXmlTextJs };
