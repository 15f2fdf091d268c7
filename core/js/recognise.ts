// The recogniser of the JavaScript builds (njs, and Node in the tests): the
// stream headers real clients send (test/client-shapes.json), read and routed
// by one native regular expression. In njs every bytecode step is
// interpreted and every allocation stays until the connection ends, so the
// expression does all the reading: the declaration, the element and its
// prefix, each attribute, no attribute twice, the streams namespace bound to
// the prefix, the content namespace, and `from` and `to` as ASCII JIDs; only
// the lowercasing and the key are left to code (core/key.ts's streamRoute,
// the rule the full reader applies too). Anything else returns undefined and
// goes to the full reader (header.ts) unchanged. recognise.lua.ts reads the
// same shapes for HAProxy; test/recogniser.test.mjs holds both to the full
// reader's answers.
import { Policy, Route, StreamKind, streamRoute } from '../key';
import { Recogniser } from '../router';
import { skipClassJs } from './charclass';

/** Headers longer than this go to the full reader. Every JID part then fits
 * RFC 7622's 1,023 octets (§3.1) without counting, and the expression's
 * look-aheads stay within a short string whatever the client sent. */
export const RECOGNISED_MAX = 1024;

// Attribute values it reads: printable ASCII without the quotes, '&' (no
// references to decode), '<', '>' and '=': every '=' in the tag is then an
// attribute's, so `[ \t\r\n]from=` can only be the start of the from
// attribute, and the look-aheads below need not walk the tag attribute by
// attribute. Names: from, to, xmlns, version, xml:lang, id, and xmlns:NAME
// (no other prefix, so no namespace but the streams one to check).
//
// Groups: 1, 2 the declaration's quotes; 3 the element's prefix; 4 a name
// seen twice (the negative look-ahead fails then); 5 `from`'s bare JID
// without a trailing dot and 6 its domain; 7 `to`; 8 the content namespace's
// last part.
//
// A literal, not new RegExp(...): njs 0.7.9 compiles a RegExp made by the
// constructor again in every connection; a literal is compiled once.
const HEADER_SHAPE =
  /^(?:<\?xml version=(['"])1\.0\1(?: encoding=(['"])(?:UTF|utf)-8\2)?\?>[ \t\r\n]*)?<([A-Za-z_][A-Za-z0-9_.-]*):stream(?![^>]*[ \t\r\n](from|to|xmlns(?::[A-Za-z_][A-Za-z0-9_.-]*)?|version|xml:lang|id)=[^>]*[ \t\r\n]\4=)(?:(?=[^>]*[ \t\r\n]from=['"]((?:[!#-%(-.0-9;?A-~]+@)?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*))\.?(?:\/[ !#-%(-;?-~]+)?['"])|(?![^>]*[ \t\r\n]from=))(?:(?=[^>]*[ \t\r\n]to=['"]([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)\.?['"])|(?![^>]*[ \t\r\n]to=))(?=[^>]*[ \t\r\n]xmlns=['"]jabber:(client|server|component:accept)['"])(?=[^>]*[ \t\r\n]xmlns:\3=['"]http:\/\/etherx\.jabber\.org\/streams['"])(?:[ \t\r\n]+(?:xmlns:[A-Za-z_][A-Za-z0-9_.-]*=(?:'[ !#-%(-;?-~]+'|"[ !#-%(-;?-~]+")|(?:from|to|xmlns|version|xml:lang|id)=(?:'[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*")))*[ \t\r\n]*>/;

export function recogniseJs(this: void, bytes: string, policy: Policy, limit: number): Route | undefined {
  const m = HEADER_SHAPE.exec(bytes.length > RECOGNISED_MAX ? bytes.substring(0, RECOGNISED_MAX) : bytes);
  if (m === null || m[0].length > limit) return undefined;
  const content = m[8];
  const stream: StreamKind = content === 'client' ? 'client' : content === 'server' ? 'server' : 'component';
  const bare = m[5];
  const to = m[7];
  if (bare === undefined) return streamRoute(policy, stream, '', '', false, to === undefined ? '' : to.toLowerCase(), to !== undefined, '');
  // ASCII only: toLowerCase is the localpart's and the domain's case mapping.
  const from = bare.toLowerCase();
  return streamRoute(policy, stream, from, bare.length === m[6].length ? from : m[6].toLowerCase(),
    bare.length !== m[6].length, to === undefined ? '' : to.toLowerCase(), to !== undefined, '');
}

/** What njs/jidroute.ts hands to the router. */
export const RECOGNISER_JS: Recogniser = { recognise: recogniseJs, skipClass: skipClassJs };
