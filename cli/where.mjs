// jidroute where: the key jidroute gives a connection, and the server the
// proxy's ring picks for it, read from the config the proxy runs.
import { readFileSync } from 'node:fs';
import { parseOptions } from './args.mjs';
import { UsageError } from './errors.mjs';
import { headerFor, routeHeader, POLICIES } from './keys.mjs';
import { clientHello } from './tls-hello.mjs';
import { placement, serverLabel } from './model.mjs';
import { table } from './table.mjs';

export const HELP = `jidroute where JID|HEADER|- ... --config FILE [options]

The key jidroute computes for a connection (from the same core as the nginx
and HAProxy modules) and the server the proxy would pick for it, read from the
nginx.conf or haproxy.cfg the proxy runs: servers, weights, down/disabled,
backup, hash-type, hash-key, and HAProxy's ring formula for its version.

  JID          a client's JID: the header sent is from=JID to=its domain
               (a JID without '@' is a domain: to= only)
  HEADER       a stream header as the client sends it ("<stream:stream ...>")
  -            standard input: one header, or one JID a line

  --config FILE          nginx.conf or haproxy.cfg (again for several proxies)
  --upstream NAME        the nginx upstream (default: the first listener's)
  --backend NAME         the HAProxy backend (the same option)
  --policy P             bare, domain or both (default both)
  --no-from              send no from (as many clients do before STARTTLS)
  --sni NAME             a Direct TLS connection passed through (again for
                         several): a ClientHello with server_name NAME, as
                         a listener without TLS termination reads it
                         (nginx-passthrough.conf, haproxy-passthrough.cfg:
                         port 5223). Its key is the SNI name under the domain
                         policy (route_by sni); under the bare policy a
                         client's hello is routed by address, a server's
                         (--alpn xmpp-server) by its name
  --tls                  send each JID as such a hello: the SNI is the JID's
                         domain (the localpart is encrypted, never seen)
  --alpn PROTOCOL        the hello's ALPN: xmpp-client (default) or xmpp-server
  --addr ADDRESS         the client address, for connections routed by
                         address (default 192.0.2.1)
  --haproxy-version V    the HAProxy whose ring to emulate (default: this
                         machine's haproxy -v, else 2.6): 2.6 and 3.3+ build
                         it from full_hash(id*4096+i), 3.0-3.2 before the
                         hash-key id fix from full_hash(full_hash(id)+i);
                         it also decides the config's .if blocks
  --json                 one JSON document

Exit status: 0, or 2 for bad input (a config it cannot read or emulate),
with one line saying which file and line.`;

const SPEC = { config: 'list', sni: 'list', tls: 'flag', alpn: 'string', upstream: 'string', backend: 'string', policy: 'string', 'no-from': 'flag', addr: 'string', 'haproxy-version': 'string', json: 'flag', help: 'flag' };

function readStdin() {
  try {
    return readFileSync(0);
  } catch {
    return Buffer.alloc(0);
  }
}

/** The headers to route: { input (as shown), header (text or bytes) }. */
function inputs(positional, noFrom, { sni = [], tls = false, alpn } = {}) {
  const out = [];
  const domainOf = (jid) => { const at = jid.indexOf('@'); const d = jid.slice(at + 1); return d.split('/')[0]; };
  if (tls) {
    return positional.flatMap((p) => (p === '-' ? readStdin().toString('utf8').split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')) : [p]))
      .map((jid) => ({ input: `${jid} (TLS, SNI ${domainOf(jid)})`, header: clientHello(domainOf(jid), { alpn }) }))
      .concat(sni.map((name) => ({ input: `SNI ${name}`, header: clientHello(name, { alpn }) })));
  }
  for (const name of sni) out.push({ input: `SNI ${name}`, header: clientHello(name, { alpn }) });
  for (const p of positional) {
    if (p === '-') {
      const data = readStdin();
      const text = data.toString('utf8').replace(/^\uFEFF/, '');
      if (text.trimStart().startsWith('<')) out.push({ input: '(header on standard input)', header: data });
      else for (const line of text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'))) out.push({ input: line, header: headerFor(line, { from: !noFrom }) });
    } else if (p.trimStart().startsWith('<')) out.push({ input: p.length > 60 ? p.slice(0, 57) + '...' : p, header: p });
    else out.push({ input: p, header: headerFor(p, { from: !noFrom }) });
  }
  return out;
}

export function where(argv, out) {
  const { options, positional } = parseOptions(argv, SPEC);
  if (options.help) return out.write(HELP + '\n');
  if (!options.config) throw new UsageError('where needs --config FILE (the nginx.conf or haproxy.cfg the proxy runs)');
  if (!positional.length && !options.sni) throw new UsageError('where needs a JID, a header, --sni NAME, or - for standard input');
  if (options.alpn && !['xmpp-client', 'xmpp-server'].includes(options.alpn)) throw new UsageError(`--alpn is xmpp-client or xmpp-server, not ${options.alpn}`);
  const policy = options.policy || 'both';
  if (!['bare', 'domain', 'both'].includes(policy)) throw new UsageError(`--policy is bare, domain or both, not ${policy}`);
  const policies = policy === 'both' ? POLICIES : [policy];
  const address = options.addr || '192.0.2.1';
  const items = inputs(positional, options['no-from'], { sni: options.sni, tls: options.tls, alpn: options.alpn });
  const places = options.config.map((file) => placement(file, { upstream: options.upstream || options.backend, haproxyVersion: options['haproxy-version'] }));
  const results = [];
  for (const item of items) {
    for (const pol of policies) {
      const route = routeHeader(item.header, pol, address);
      const servers = places.map((pl) => {
        const index = pl.place(pl.model.keyKind === 'addr' ? Buffer.from(address) : route.keyBytes, address);
        const s = pl.model.servers[index];
        return index < 0 ? null : { index, name: s.name, address: s.address };
      });
      results.push({ input: item.input, policy: pol, key: route.key, routeBy: route.routeBy, stream: route.stream, from: route.from, to: route.to, servers });
    }
  }
  if (options.json) {
    out.write(JSON.stringify({
      configs: places.map((pl) => ({
        file: pl.model.file, proxy: pl.model.proxy, upstream: pl.model.name, line: pl.model.line, hashes: pl.model.keyKind === 'addr' ? 'client address' : 'jidroute key',
        servers: pl.model.servers, listeners: pl.model.listeners,
        haproxyVersion: pl.version && { version: pl.version.version, source: pl.version.source, formula: pl.version.formula },
        describe: pl.describe,
      })),
      address, results,
    }, null, 2) + '\n');
    return;
  }
  const lines = [];
  places.forEach((pl, i) => {
    lines.push(`${places.length > 1 ? `[${i + 1}] ` : ''}${pl.describe}`);
    if (pl.model.listeners.length) lines.push(`    listeners: ${pl.model.listeners.map((l) => `${l.listen} (${l.policy})`).join(', ')}`);
    if (pl.model.keyKind === 'addr') lines.push(`    hashes the client address (${address}), not jidroute's key`);
    if (!options.sni && !options.tls && pl.model.listeners.some((l) => /(^|:)(5223|5270)\b/.test(l.listen) && !/\bssl\b/.test(l.listen))) {
      lines.push('    a listener on a Direct TLS port without TLS termination passes TLS through: its key is the ClientHello\'s SNI (--sni NAME or --tls), not the header');
    }
    for (const l of pl.model.listeners.filter((x) => x.policy === 'none')) lines.push(`    ${l.listen}: no jidroute handler, the key is unset (${pl.model.proxy === 'nginx' ? 'nginx hashes an empty key: round robin' : 'HAProxy balances round robin'})`);
  });
  lines.push('');
  const headers = ['input', 'policy', 'route_by', 'key', ...places.map((_, i) => (places.length > 1 ? `server [${i + 1}]` : 'server'))];
  let last;
  const rows = results.map((r) => {
    const row = [r.input === last ? '' : r.input, r.policy, r.routeBy, r.key, ...r.servers.map((s, i) => (s ? serverLabel(places[i].model, s.index) : '(no server up)'))];
    last = r.input;
    return row;
  });
  lines.push(table(headers, rows));
  const byAddr = results.filter((r) => r.routeBy === 'addr');
  if (byAddr.length) lines.push('', `route_by addr: no key from the header or hello (${[...new Set(byAddr.map((r) => r.stream))].join(', ')}); the proxy hashes the client address (--addr ${address}).`);
  out.write(lines.join('\n') + '\n');
}
