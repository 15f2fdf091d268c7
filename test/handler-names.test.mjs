// The policy in the handler's name, and configs written before it still
// routing as they did:
//  - the example configs (jidroute.bare / jidroute.domain, lua.jidroute /
//    lua.jidroute_domain) route 5222 by account and 5322 by domain;
//  - jidroute.bare stays bare where a stray `js_var $xmpp_policy domain;`
//    gives every server of the stream block the domain policy (njs does not
//    scope a js_var to its server), and lua.jidroute_domain stays domain
//    whatever sess.xmpp_policy says;
//  - the old form (jidroute.preread with `set $xmpp_policy domain;`,
//    lua.jidroute with `set-var(sess.xmpp_policy) str(domain)`) routes as
//    before.
import t from 'tap';
import { prepareNginx, prepareHaproxy, startProxy, loggedConnection } from '../harness/proxies.mjs';
import { startBackends, exchange } from '../harness/backends.mjs';

const HEADER = Buffer.from("<?xml version='1.0'?><stream:stream from='Juliet@Capulet.example/balcony' to='capulet.example' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>");
const BARE = { key: 'juliet@capulet.example', routeBy: 'from' };
const DOMAIN = { key: 'capulet.example', routeBy: 'to' };

function must(text, from, to) {
  const out = text.split(from).join(to);
  if (out === text) throw new Error(`config has no "${from}"`);
  return out;
}

/** nginx: the handlers replaced by jidroute.preread (the domain listener's by
 * `domainPreread`); a js_var line added before the header limit's. */
const oldForm = (s, domainPreread) => must(must(s, 'js_preread jidroute.bare;', 'js_preread jidroute.preread;'), 'js_preread jidroute.domain;', domainPreread);
const withVar = (s, line) => must(s, '    js_var $xmpp_header_limit 8192;', `${line}\n    js_var $xmpp_header_limit 8192;`);

const CASES = {
  nginx: {
    'the example config': { edit: (s) => s, want: { 5222: BARE, 5322: DOMAIN } },
    'jidroute.bare with a stray js_var $xmpp_policy domain': {
      edit: (s) => withVar(s, '    js_var $xmpp_policy domain;'),
      want: { 5222: BARE, 5322: DOMAIN },
    },
    'the old form: jidroute.preread, set $xmpp_policy domain': {
      edit: (s) => withVar(oldForm(s, 'set $xmpp_policy domain;\n        js_preread jidroute.preread;'), '    js_var $xmpp_policy;'),
      want: { 5222: BARE, 5322: DOMAIN },
    },
    // What the README warns about, still so: the old form with the value in
    // js_var routes every listener by domain.
    'the old form with js_var $xmpp_policy domain (every listener domain)': {
      edit: (s) => withVar(oldForm(s, 'js_preread jidroute.preread;'), '    js_var $xmpp_policy domain;'),
      want: { 5222: DOMAIN, 5322: DOMAIN },
    },
  },
  haproxy: {
    'the example config': { edit: (s) => s, want: { 5222: BARE, 5322: DOMAIN } },
    'lua.jidroute_domain whatever sess.xmpp_policy says': {
      edit: (s) => must(s, '    tcp-request content lua.jidroute_domain', '    tcp-request content set-var(sess.xmpp_policy) str(bare)\n    tcp-request content lua.jidroute_domain'),
      want: { 5222: BARE, 5322: DOMAIN },
    },
    'the old form: lua.jidroute after set-var(sess.xmpp_policy) str(domain)': {
      edit: (s) => must(s, '    tcp-request content lua.jidroute_domain', '    tcp-request content set-var(sess.xmpp_policy) str(domain)\n    tcp-request content lua.jidroute'),
      want: { 5222: BARE, 5322: DOMAIN },
    },
  },
};

for (const [kind, cases] of Object.entries(CASES)) {
  for (const [name, { edit, want }] of Object.entries(cases)) {
    t.test(`${kind}: ${name}`, async (t) => {
      const prepared = await (kind === 'nginx' ? prepareNginx : prepareHaproxy)(undefined, { edit });
      const backends = await startBackends(['c2s-1', 'c2s-2', 'c2s-3'], [5301, 5302, 5303].map((p) => prepared.ports.get(p)));
      t.teardown(() => Promise.all(backends.map((b) => b.close())));
      const proxy = await startProxy(prepared);
      t.teardown(() => proxy.stop());
      for (const [listener, expected] of Object.entries(want)) {
        // Connects again if HAProxy dropped the log line (harness/proxies.mjs).
        const { r, entry } = await loggedConnection(proxy, async () => {
          const r = await exchange(proxy.port(Number(listener)), HEADER, { localAddress: '127.0.0.1' });
          return { ...r, client: `127.0.0.1:${r.localPort}` };
        });
        t.ok(r.backend, `${listener}: reached a backend`);
        t.same({ key: entry?.key, routeBy: entry?.routeBy }, expected, `${listener}: ${expected === BARE ? 'bare' : 'domain'} policy`);
      }
    });
  }
}
