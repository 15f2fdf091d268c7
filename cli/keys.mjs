// The key a connection is hashed on, from the same core/ the modules are
// built from (dist/core.mjs; bundled into dist/cli.mjs by build.mjs).
import * as core from '../dist/core.mjs';

const latin1 = (s) => Buffer.from(s, 'utf8').toString('latin1');
const fromBytes = (s) => Buffer.from(s, 'latin1').toString('utf8');

function xmlAttr(s) {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/'/g, '&apos;').replace(/"/g, '&quot;');
}

/** The stream header a client with this JID sends: from=JID, to=its domain
 * (what xmpp.js and most clients send after STARTTLS; before STARTTLS many
 * send no from: see `where --no-from`). A JID without '@' is a domain:
 * a header with to= only. */
export function headerFor(jid, { from = true, stream = 'client' } = {}) {
  const at = jid.indexOf('@');
  const slash = jid.indexOf('/', at + 1);
  const domain = at < 0 ? (slash < 0 ? jid : jid.slice(0, slash)) : jid.slice(at + 1, slash < 0 ? undefined : slash);
  const ns = stream === 'server' ? 'jabber:server' : stream === 'component' ? 'jabber:component:accept' : 'jabber:client';
  const fromAttr = from && at >= 0 ? `from='${xmlAttr(jid)}' ` : '';
  return `<?xml version='1.0'?><stream:stream ${fromAttr}to='${xmlAttr(domain)}' xmlns='${ns}' ` +
    "xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
}

/** Routes a header (a string of text or a Buffer of bytes) as the module
 * does: { key, routeBy, from, to, stream } with key, from, to as text. */
export function routeHeader(header, policy, address) {
  const bytes = Buffer.isBuffer(header) ? header.toString('latin1') : latin1(header);
  const router = core.newRouter(policy, undefined);
  core.feedRouter(router, bytes);
  const r = core.currentRoute(router, address);
  return { key: fromBytes(r.key), keyBytes: Buffer.from(r.key, 'latin1'), routeBy: r.routeBy, from: fromBytes(r.from), to: fromBytes(r.to), stream: r.stream };
}

/** A JID's normalised bare form ('' when it is not a valid JID). */
export function bareJid(jid) {
  const j = core.parseBareJid(latin1(jid));
  return j === undefined ? '' : fromBytes(core.bareJidString(j));
}

export const POLICIES = ['bare', 'domain'];
