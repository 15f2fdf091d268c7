// The recogniser of the JavaScript builds (njs, and Node in the tests): the
// stream headers real clients send (test/vectors/client-shapes.md), read by one
// native regular expression and routed. In njs every bytecode step is
// interpreted and every allocation stays until the connection ends, so the
// expression does the reading (the declaration, the element and its prefix,
// every attribute and its quotes), and a few lines check what it captured:
// no attribute twice, the streams namespace bound to the prefix, the content
// namespace, `from` and `to` as ASCII JIDs (one more native match), then
// core/key.ts's streamRoute, the rule the full reader applies too. Anything
// else returns undefined and goes to the full reader (header.ts) unchanged.
// core/lua/recognise.ts reads the same shapes for HAProxy;
// test/recogniser.test.mjs holds both to the full reader's answers.
import { Policy, Route, StreamKind, streamRoute } from '../key';
import { Recogniser } from '../router';
import { skipClassJs } from './charclass';
import { lowerPartJs } from './casemap';
import { isXmlTextJs } from './xmltext';
import { attributeRunJs } from './attributes';

/** Headers longer than this go to the full reader. Every JID part then fits
 * RFC 7622's 1,023 octets (§3.1) without counting. */
export const RECOGNISED_MAX = 1024;

// Six attribute slots, written out (the clients of client-shapes.md send at
// most six; more go to the full reader): a repeated group would keep only its
// last attribute in JavaScript (njs's PCRE keeps the others, QuickJS and V8
// do not), and look-aheads that search the tag for each attribute cost njs
// ten times as much (about 200k instructions against 25k for this one,
// callgrind). Each slot has two groups, the name and the value with its
// quotes: PCRE copies every group's offsets into each backtracking frame it
// makes, so its frames (allocated per match, from the connection's memory)
// grow with the number of groups, and every captured string is made and
// kept until the connection ends. 13 groups against 25 before (a group per
// quote, seven slots): about 4 KiB less per idle connection on njs 0.7.9
// (bench/README.md). Group 1 is the element's prefix; for slot k (0..5),
// 2 + 2k the name, 3 + 2k the quoted value.
//
// Names: one class of the characters of names (cheaper for PCRE than the
// alternatives of every name); which ones, and that none comes twice, the
// code below checks. Values: printable ASCII without the quotes, '&' (no
// references to decode), '<', '>' and '=' (so a '>' can only close the tag).
//
// A literal, not new RegExp(...): njs 0.7.9 compiles a RegExp made by the
// constructor again in every connection; a literal is compiled once.
const HEADER_SHAPE =
  /^(?:<\?xml version=(?:'1\.0'|"1\.0")(?: encoding=(?:'(?:UTF|utf)-8'|"(?:UTF|utf)-8"))?\?>[ \t\r\n]*)?<([A-Za-z_][A-Za-z0-9_.-]*):stream(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?[ \t\r\n]*>/;
const SLOTS_END = 2 + 2 * 6;

/** `from` and `to` as ASCII JIDs with their quotes, in one exec:
 * "'FROM'\n'TO'" (either may be absent; no value read holds a line feed).
 * Groups: 1 `from`'s bare JID and 2 its domain, 3 `to`'s domain, each without
 * one trailing dot (RFC 7622 §3.2). RFC 7622 §3.1: the resourcepart starts at
 * the first '/' and needs no more checks in printable ASCII; the localpart
 * ends at the first '@' and may not hold ' ' or ':' (§3.3.1; the other
 * excluded characters are in no value read here); a domain is labels of
 * letters, digits and '-'. An empty value is no JID (`''`). */
const ASCII_JIDS =
  /^(?:['"]((?:[!#-%(-.0-9;?A-~]+@)?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*))\.?(?:\/[ !#-%(-;?-~]+)?['"]|['"]['"])?\n(?:['"](?:([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)\.?)?['"])?$/;

// `var`, not let or const: njs 0.7.9 checks a let or const binding on every
// access (about 1,300 instructions less for this function, callgrind).
export function recogniseJs(this: void, bytes: string, policy: Policy, limit: number): Route | undefined {
  var m = HEADER_SHAPE.exec(bytes.length > RECOGNISED_MAX ? bytes.substring(0, RECOGNISED_MAX) : bytes);
  if (m === null || (bytes.length > limit && m[0].length > limit)) return undefined;
  // Every client's prefix is `stream`: its name without a string made.
  var streamsName = m[1] === 'stream' ? 'xmlns:stream' : 'xmlns:' + m[1];
  // '' for an attribute not given: a value read comes with its quotes.
  var from = '';
  var to = '';
  var content = '';
  var streams = '';
  var version = false;
  var lang = false;
  var id = false;
  // Each step costs a few hundred instructions in njs (a method call about a
  // thousand): the common names first, compared whole. The slots that
  // matched come first (each slot takes an attribute before the next may).
  for (var k = 2; k < SLOTS_END; k += 2) {
    var name = m[k];
    if (name === undefined) break;
    if (name === 'from') {
      if (from !== '') return undefined;
      from = m[k + 1];
    } else if (name === 'to') {
      if (to !== '') return undefined;
      to = m[k + 1];
    } else if (name === 'xmlns') {
      if (content !== '') return undefined;
      content = m[k + 1];
    } else if (name === streamsName) {
      if (streams !== '') return undefined;
      streams = m[k + 1];
    } else if (name === 'version') {
      if (version) return undefined;
      version = true;
    } else if (name === 'xml:lang') {
      if (lang) return undefined;
      lang = true;
    } else if (name === 'id') {
      if (id) return undefined;
      id = true;
    } else if (/^xmlns:[A-Za-z_][A-Za-z0-9_.-]*$/.test(name)) {
      // Another xmlns:NAME, NAME an NCName (the expression's names are of one
      // class; the literal is here, not at the top level, where njs would
      // make its object on every connection): declared once, not empty
      // (Namespaces in XML §3).
      if (m[k + 1].length === 2) return undefined;
      for (var j = 2; j < k; j += 2) if (m[j] === name) return undefined;
    } else {
      return undefined;
    }
  }
  // The values with their quotes, either kind, compared whole: literals, as
  // STREAMS_NS, CLIENT_NS, SERVER_NS and COMPONENT_NS quoted (a string joined
  // at run time would be made again on every connection).
  if (streams !== "'http://etherx.jabber.org/streams'" && streams !== '"http://etherx.jabber.org/streams"') {
    return undefined;
  }
  var stream: StreamKind;
  if (content === "'jabber:client'" || content === '"jabber:client"') stream = 'client';
  else if (content === "'jabber:server'" || content === '"jabber:server"') stream = 'server';
  else if (content === "'jabber:component:accept'" || content === '"jabber:component:accept"') stream = 'component';
  else return undefined;

  // ASCII only: toLowerCase is the localpart's and the domain's case mapping,
  // done once for both (it moves no byte out of its class in ASCII_JIDS).
  var jids = ASCII_JIDS.exec((from + '\n' + to).toLowerCase());
  if (jids === null) return undefined;
  var toDomain = jids[3] === undefined ? '' : jids[3];
  var fromBare = jids[1];
  if (fromBare === undefined) return streamRoute(policy, stream, '', '', false, toDomain, to !== '', '');
  var fromDomain = jids[2];
  return streamRoute(policy, stream, fromBare, fromDomain, fromBare.length !== fromDomain.length, toDomain,
    to !== '', '');
}

/** What njs/slow.ts hands to the router. */
export const RECOGNISER_JS: Recogniser = {
  recognise: recogniseJs, skipClass: skipClassJs, lowerPart: lowerPartJs, isXmlText: isXmlTextJs, attributeRun: attributeRunJs,
};
