// Reads what jidroute needs from a haproxy.cfg: backends (balance, hash-type,
// servers with id/weight/disabled/backup/hash-key, default-server, option
// allbackups, from the defaults section before them), frontends (bind,
// default_backend, the policy set with set-var(sess.xmpp_policy)), and the
// log-format lines. Words are split as HAProxy splits them: spaces, '#'
// comments, backslash escapes, single and double quotes.
import { readFileSync } from 'node:fs';
import { InputError } from './errors.mjs';
import { conditionalBlocks } from './haproxy-cond.mjs';
import { haproxyVersion } from './haproxy-version.mjs';

const SECTIONS = new Set(['global', 'defaults', 'frontend', 'backend', 'listen', 'peers', 'resolvers', 'userlist',
  'mailers', 'program', 'http-errors', 'ring', 'cache', 'crt-store', 'traces', 'log-forward', 'acme']);

/** One line's words (and whether any used "${...}", HAProxy's variables). */
function words(text, file, line) {
  const out = [];
  let w = null;
  let vars = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\\' && i + 1 < text.length) { w = (w ?? '') + text[++i]; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { if (w !== null) out.push(w); w = null; continue; }
    if (c === '#') break;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) throw new InputError(file, line, 'unmatched quote');
      w = (w ?? '') + text.slice(i + 1, end);
      i = end;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let s = '';
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length) { s += text[++j]; continue; }
        if (text[j] === '$') vars = true;
        s += text[j];
      }
      if (j >= text.length) throw new InputError(file, line, 'unmatched quote');
      w = (w ?? '') + s;
      i = j;
      continue;
    }
    if (c === '$' && text[i + 1] === '{') vars = true;
    w = (w ?? '') + c;
  }
  if (w !== null) out.push(w);
  return { words: out, vars };
}

function newProxy(kind, name, line, file, defaults) {
  const p = {
    kind, name, line, file,
    balance: defaults?.balance, balanceLine: defaults?.balanceLine,
    hashType: defaults?.hashType, hashTypeLine: defaults?.hashTypeLine,
    defaultServer: defaults ? [...defaults.defaultServer] : [],
    allBackups: defaults?.allBackups || false,
    logFormat: defaults?.logFormat,
    // Rules of a named defaults section reach the frontends using it.
    policy: defaults?.policy, handler: defaults?.handler, setPolicy: defaults?.setPolicy,
    servers: [], binds: [], unsupported: [],
  };
  return p;
}

/** Server keywords and what they do to the ring. `id N`, `weight N`,
 * `disabled`/`enabled`, `backup`/`no-backup`, `hash-key K`; every other
 * keyword has no effect on where a key goes (or is a check setting). */
function applyServerParams(server, params, file, line) {
  for (let i = 0; i < params.length; i++) {
    const p = params[i];
    const value = () => {
      if (i + 1 >= params.length) throw new InputError(file, line, `server keyword "${p}" needs a value`);
      return params[++i];
    };
    if (p === 'weight') {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) > 256) throw new InputError(file, line, `invalid weight "${v}" (0..256)`);
      server.weight = Number(v);
    } else if (p === 'id') {
      const v = value();
      if (!/^\d+$/.test(v) || Number(v) < 1) throw new InputError(file, line, `invalid id "${v}"`);
      server.id = Number(v);
    } else if (p === 'hash-key') server.hashKey = value();
    else if (p === 'disabled') server.down = true;
    else if (p === 'enabled') server.down = false;
    else if (p === 'backup') server.backup = true;
    else if (p === 'no-backup') server.backup = false;
    else if (p === 'slowstart') { value(); server.slowstart = true; }
    else if (/^(init-addr|resolvers|resolve-prefer|resolve-net|resolve-opts|track|agent-check)$/.test(p)) {
      server.dynamic = server.dynamic || p;
      if (p !== 'agent-check') value();
    } else if (KEYWORDS_WITH_VALUE.has(p)) value();
    // Anything else: a flag with no effect on placement (check, ssl, send-proxy, ...).
  }
}

const KEYWORDS_WITH_VALUE = new Set(['inter', 'fastinter', 'downinter', 'rise', 'fall', 'port', 'addr', 'maxconn',
  'minconn', 'maxqueue', 'cookie', 'on-error', 'on-marked-down', 'on-marked-up', 'error-limit', 'observe',
  'ca-file', 'crt', 'crl-file', 'sni', 'alpn', 'npn', 'ciphers', 'ciphersuites', 'verify', 'verifyhost',
  'source', 'usesrc', 'interface', 'namespace', 'proto', 'check-proto', 'check-sni', 'check-alpn', 'pool-max-conn',
  'pool-low-conn', 'pool-purge-delay', 'max-reuse', 'tcp-ut', 'agent-port', 'agent-inter', 'agent-addr',
  'agent-send', 'redir', 'log-proto', 'ws', 'proxy-v2-options', 'set-proxy-v2-tlv-fmt', 'shard', 'guid',
  'ssl-min-ver', 'ssl-max-ver', 'curves', 'sigalgs', 'client-sigalgs', 'check-pool-conn-name', 'pool-conn-name',
  'log-bufsize', 'strict-maxconn', 'init-state']);

/** Reads a haproxy.cfg as HAProxy `version` ({ version, source }: the one
 * assumed, see haproxy-version.mjs) reads it: .if blocks decided for it.
 * { kind: 'haproxy', file, backends, frontends, logFormats, version }. */
export function readHaproxyConfig(file, version = haproxyVersion(undefined)) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(file, 0, `cannot read: ${e.code || e.message}`);
  }
  const proxies = [];
  const logFormats = [];
  let defaults;
  let section = null;
  let sectionKind = null;
  const cond = conditionalBlocks({ file, version: version.version, source: version.source });
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = n + 1;
    const raw = lines[n];
    const { words: w, vars } = words(raw, file, line);
    if (!w.length) continue;
    const kw = w[0];
    if (kw.startsWith('.')) {
      if (!cond.directive(kw, w, vars, line) && !/^\.(notice|warning|diag|alert)$/.test(kw)) {
        if (cond.active) throw new InputError(file, line, `unknown directive ${kw}`);
      }
      continue;
    }
    if (!cond.active) continue;
    if (SECTIONS.has(kw)) {
      sectionKind = kw;
      section = null;
      // HAProxy 2.5+: "defaults [NAME] [from OTHER]" and "frontend|backend|listen
      // NAME [from DEFAULTS]": a section starts from the defaults section
      // named (which must come before it), a proxy without "from" from the
      // last defaults section, a defaults section without "from" from nothing.
      const fromAt = kw === 'defaults' && w[1] === 'from' ? 1 : w[2] === 'from' ? 2 : -1;
      let base;
      if (fromAt > 0) {
        const name = w[fromAt + 1];
        if (!name) throw new InputError(file, line, `"from" needs the name of a defaults section`);
        base = proxies.find((p) => p.kind === 'defaults' && p.name === name);
        if (!base) throw new InputError(file, line, `no defaults section named "${name}" before this line`);
      }
      if (kw === 'defaults') {
        section = newProxy('defaults', fromAt === 1 ? '' : w[1] || '', line, file, base);
        defaults = section;
        proxies.push(section);
      } else if (kw === 'frontend' || kw === 'backend' || kw === 'listen') {
        if (!w[1]) throw new InputError(file, line, `${kw} needs a name`);
        section = newProxy(kw, w[1], line, file, fromAt > 0 ? base : defaults);
        proxies.push(section);
      }
      continue;
    }
    if (!section) continue;
    const p = section;
    const rest = w.slice(1);
    if (kw === 'balance') { p.balance = rest; p.balanceLine = line; }
    else if (kw === 'hash-type') { p.hashType = rest; p.hashTypeLine = line; }
    else if (kw === 'default-server') p.defaultServer.push({ params: rest, line });
    else if (kw === 'option' && rest[0] === 'allbackups') p.allBackups = true;
    else if (kw === 'no' && rest[0] === 'option' && rest[1] === 'allbackups') p.allBackups = false;
    else if (kw === 'log-format') {
      p.logFormat = { format: rest.join(' '), line, file };
      logFormats.push({ format: rest.join(' '), line, file, section: `${sectionKind} ${p.name}`.trim() });
    } else if (kw === 'server') {
      if (rest.length < 2) throw new InputError(file, line, 'server needs a name and an address');
      const server = { name: rest[0], address: rest[1], weight: 1, down: false, backup: false, line, vars };
      for (const d of p.defaultServer) applyServerParams(server, d.params, file, d.line);
      applyServerParams(server, rest.slice(2), file, line);
      p.servers.push(server);
    } else if (kw === 'server-template' || kw === 'hash-balance-factor' || kw === 'use-server' || kw === 'hash-preserve-affinity') {
      p.unsupported.push({ kw, line });
    } else if (kw === 'bind') {
      const at = rest.indexOf('name');
      p.binds.push({ address: rest[0], name: at > 0 ? rest[at + 1] : undefined });
    } else if (kw === 'default_backend') p.defaultBackend = rest[0];
    else if (kw === 'use_backend') {
      // "use_backend B if { so_name N }": the connections of bind ... name N.
      const m = /^if\s+\{\s*so_name\s+(\S+)\s*\}$/.exec(rest.slice(1).join(' '));
      p.useBackend = (p.useBackend || []).concat([{ name: rest[0], line, soName: m ? m[1] : undefined, cond: rest.slice(1).join(' ') }]);
    }
    else if (kw === 'tcp-request' && rest[0] === 'content') {
      // The policy is in the action's name (lua.jidroute_domain); the
      // unsuffixed lua.jidroute reads sess.xmpp_policy as set before it
      // (bare when unset), as configs written before the names expect.
      if (/^set-var\(sess\.xmpp_policy\)$/.test(rest[1] || '')) p.setPolicy = { policy: /^str\(domain\)$/.test(rest[2] || '') ? 'domain' : 'bare', line };
      else if (rest[1] === 'lua.jidroute') { p.policy = p.setPolicy ? p.setPolicy.policy : 'bare'; p.handler = { name: rest[1], line }; }
      else if (rest[1] === 'lua.jidroute_domain') { p.policy = 'domain'; p.handler = { name: rest[1], line }; }
    }
  }
  cond.end();
  return {
    kind: 'haproxy', file, logFormats, version,
    backends: proxies.filter((p) => p.kind === 'backend' || p.kind === 'listen'),
    frontends: proxies.filter((p) => p.kind === 'frontend' || p.kind === 'listen'),
  };
}

/** Splits "host:port" (IPv4, [IPv6], a name; "ipv4@" prefixes allowed). */
function splitAddress(address) {
  const a = address.replace(/^(ipv4|ipv6)@/, '');
  let m = /^\[([^\]]+)\](?::(\d+))?$/.exec(a);
  if (m) return { host: m[1], port: m[2] || '' };
  m = /^([^:]*)(?::(\d*))?$/.exec(a);
  if (m) return { host: m[1], port: m[2] || '' };
  return { host: a, port: '' }; // a bare IPv6 address
}

/**
 * The backend's ring as jidroute emulates it, or an InputError saying why it
 * cannot: another balancing method, a key other than var(sess.xmpp_key) or
 * src, map-based hashing, bounded loads, server templates or addresses from
 * variables or DNS at run time.
 */
export function haproxyBackendModel(config, name) {
  const b = pickBackend(config, name);
  const file = b.file;
  if (!b.balance) throw new InputError(file, b.line, `backend ${b.name} has no balance line (roundrobin): only "balance hash var(sess.xmpp_key)" or "balance source" with "hash-type consistent" can be emulated`);
  let keyKind;
  const bal = b.balance.join(' ');
  if (b.balance[0] === 'hash' && b.balance[1] === 'var(sess.xmpp_key)' && b.balance.length === 2) keyKind = 'key';
  else if (b.balance[0] === 'source' && b.balance.length === 1) keyKind = 'addr';
  else throw new InputError(file, b.balanceLine, `backend ${b.name}: "balance ${bal}" cannot be emulated (only "balance hash var(sess.xmpp_key)" and "balance source")`);
  const ht = b.hashType || [];
  if (ht[0] !== 'consistent') {
    throw new InputError(file, b.hashTypeLine || b.balanceLine, `backend ${b.name}: hash-type ${ht[0] || 'map-based (the default)'} is not emulated: use "hash-type consistent"`);
  }
  let hashFunction = 'sdbm';
  let avalanche = true;
  if (ht.length > 1) {
    hashFunction = ht[1];
    avalanche = ht[2] === 'avalanche';
    if (!['sdbm', 'djb2', 'wt6', 'crc32'].includes(hashFunction)) {
      throw new InputError(file, b.hashTypeLine, `backend ${b.name}: hash function "${hashFunction}" is not emulated (sdbm, djb2, wt6, crc32)`);
    }
    if (ht[2] !== undefined && ht[2] !== 'avalanche') throw new InputError(file, b.hashTypeLine, `backend ${b.name}: unknown hash modifier "${ht[2]}"`);
  }
  if (b.unsupported.length) {
    const u = b.unsupported[0];
    throw new InputError(file, u.line, `backend ${b.name}: "${u.kw}" cannot be emulated`);
  }
  if (!b.servers.length) throw new InputError(file, b.line, `backend ${b.name} has no server`);
  // Ids: as set with `id`, the others numbered 1, 2, ... in config order
  // skipping ids taken.
  const used = new Set(b.servers.filter((s) => s.id).map((s) => s.id));
  let next = 1;
  const servers = b.servers.map((s) => {
    if (s.vars || s.address.includes('$')) throw new InputError(file, s.line, `server ${s.name}: an address from a variable cannot be emulated`);
    if (s.dynamic) throw new InputError(file, s.line, `server ${s.name}: "${s.dynamic}" (addresses or state at run time) cannot be emulated`);
    if (s.slowstart) throw new InputError(file, s.line, `server ${s.name}: slowstart changes weights over time and is not emulated`);
    let id = s.id;
    if (!id) {
      while (used.has(next)) next++;
      id = next++;
    }
    const { host, port } = splitAddress(s.address);
    return { name: s.name, address: s.address, host, port, id, weight: s.weight, down: s.down, backup: s.backup, hashKey: s.hashKey, line: s.line };
  });
  const listeners = [];
  for (const f of config.frontends) {
    const uses = f.useBackend || [];
    let binds;
    let note = '';
    if (f === b) binds = f.binds;
    else if (uses.some((u) => u.name === b.name)) {
      const u = uses.find((x) => x.name === b.name);
      binds = u.soName ? f.binds.filter((x) => x.name === u.soName) : f.binds;
      if (!u.soName && u.cond) note = ` when ${u.cond}`;
    } else if (f.defaultBackend === b.name) {
      const elsewhere = new Set(uses.filter((u) => u.soName).map((u) => u.soName));
      binds = f.binds.filter((x) => !x.name || !elsewhere.has(x.name));
      if (uses.some((u) => !u.soName)) note = ' unless another use_backend matches';
    } else continue;
    if (!binds.length) continue;
    listeners.push({ listen: binds.map((x) => x.address).join(' ') + note, policy: f.policy || 'none', handler: f.handler?.name, line: f.line, frontend: f.name });
  }
  return {
    proxy: 'haproxy', file, line: b.line, name: b.name, keyKind, hash: `balance ${bal}; hash-type ${ht.join(' ')}`,
    hashFunction, avalanche, allBackups: b.allBackups, servers, listeners,
  };
}

function pickBackend(config, name) {
  if (name) {
    const b = config.backends.find((x) => x.name === name);
    if (!b) throw new InputError(config.file, 0, `no backend named ${name} (there are: ${config.backends.map((x) => x.name).join(', ') || 'none'})`);
    return b;
  }
  if (!config.backends.length) throw new InputError(config.file, 0, 'no backend');
  for (const f of config.frontends) {
    const b = config.backends.find((x) => x.name === f.defaultBackend);
    if (b) return b;
  }
  return config.backends[0];
}
