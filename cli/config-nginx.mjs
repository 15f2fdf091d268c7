// Reads what jidroute needs from an nginx.conf: the stream upstreams (hash
// directive, servers with weight/down/backup), the stream servers (listen,
// proxy_pass, the policy set with `set $xmpp_policy`), and the log formats.
// The syntax is nginx's: directives end with ';', blocks in braces, '#'
// comments, single or double quotes with backslash escapes; `include` is
// followed (relative to the config's folder, '*' in the file name).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, basename, join, isAbsolute } from 'node:path';
import { InputError } from './errors.mjs';

function readText(file, from) {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if (from) throw new InputError(from.file, from.line, `cannot read included ${file}: ${e.code || e.message}`);
    throw new InputError(file, 0, `cannot read: ${e.code || e.message}`);
  }
}

/** Tokens with their line: words (quoted or not), ';', '{', '}'. */
function tokenize(text, file) {
  const tokens = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\n') { line++; i++; continue; }
    if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
    if (c === '#') { while (i < text.length && text[i] !== '\n') i++; continue; }
    if (c === ';' || c === '{' || c === '}') { tokens.push({ t: c, line }); i++; continue; }
    const start = line;
    let word = '';
    let quoted = false;
    if (c === '"' || c === "'") {
      quoted = true;
      i++;
      while (i < text.length && text[i] !== c) {
        if (text[i] === '\\' && i + 1 < text.length) {
          const n = text[i + 1];
          word += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : n === c || n === '\\' ? n : '\\' + n;
          i += 2;
          continue;
        }
        if (text[i] === '\n') line++;
        word += text[i++];
      }
      if (i >= text.length) throw new InputError(file, start, 'unterminated quoted string');
      i++;
    } else {
      while (i < text.length && !/[\s;{}]/.test(text[i])) {
        if (text[i] === '\\' && i + 1 < text.length) { word += text[i + 1]; i += 2; continue; }
        // '#' starts a comment only at the start of a token.
        word += text[i++];
      }
    }
    tokens.push({ t: 'word', v: word, quoted, line: start });
  }
  return tokens;
}

/** Directives as a tree: { name, args, line, file, block? }. */
function parseBlock(tokens, pos, file, depth) {
  const out = [];
  while (pos.i < tokens.length) {
    const tok = tokens[pos.i];
    if (tok.t === '}') {
      if (depth === 0) throw new InputError(file, tok.line, "unexpected '}'");
      pos.i++;
      return out;
    }
    if (tok.t !== 'word') throw new InputError(file, tok.line, `unexpected '${tok.t}'`);
    const d = { name: tok.v, args: [], line: tok.line, file };
    pos.i++;
    for (;;) {
      const t = tokens[pos.i];
      if (!t) throw new InputError(file, d.line, `directive "${d.name}" is not terminated by ';'`);
      pos.i++;
      if (t.t === 'word') { d.args.push(t.v); continue; }
      if (t.t === ';') break;
      if (t.t === '{') { d.block = parseBlock(tokens, pos, file, depth + 1); break; }
      throw new InputError(file, t.line, "unexpected '}'");
    }
    out.push(d);
  }
  if (depth > 0) throw new InputError(file, tokens.length ? tokens[tokens.length - 1].line : 0, "unexpected end of file, expecting '}'");
  return out;
}

function parseFile(file, from, seen = new Set()) {
  if (seen.has(file)) throw new InputError(from.file, from.line, `include loop: ${file}`);
  const text = readText(file, from);
  const tree = parseBlock(tokenize(text, file), { i: 0 }, file, 0);
  return expandIncludes(tree, dirname(file), new Set([...seen, file]));
}

function expandIncludes(list, dir, seen) {
  const out = [];
  for (const d of list) {
    if (d.name === 'include') {
      if (d.args.length !== 1) throw new InputError(d.file, d.line, 'include takes one file');
      const path = isAbsolute(d.args[0]) ? d.args[0] : join(dir, d.args[0]);
      let files = [path];
      if (basename(path).includes('*')) {
        const re = new RegExp('^' + basename(path).split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
        let names;
        try { names = readdirSync(dirname(path)); } catch (e) { throw new InputError(d.file, d.line, `cannot read ${dirname(path)}: ${e.code}`); }
        files = names.filter((n) => re.test(n)).sort().map((n) => join(dirname(path), n));
      } else if (/[*?[]/.test(path)) {
        throw new InputError(d.file, d.line, `include with a pattern in a folder name is not followed: ${d.args[0]}`);
      }
      for (const f of files) out.push(...parseFile(f, d, seen));
      continue;
    }
    if (d.block) d.block = expandIncludes(d.block, dir, seen);
    out.push(d);
  }
  return out;
}

/** nginx's `server` parameters in an upstream. */
function parseServer(d) {
  if (!d.args.length) throw new InputError(d.file, d.line, 'server without an address');
  const server = { name: d.args[0], weight: 1, down: false, backup: false, line: d.line, file: d.file };
  for (const p of d.args.slice(1)) {
    let m;
    if ((m = /^weight=(\d+)$/.exec(p))) {
      server.weight = Number(m[1]);
      if (server.weight < 1) throw new InputError(d.file, d.line, `invalid weight "${p}"`);
    } else if (p === 'down') server.down = true;
    else if (p === 'backup') server.backup = true;
    else if (p === 'resolve') server.resolve = true;
    else if (/^(max_fails|fail_timeout|max_conns|slow_start|service|route|drain)=?/.test(p)) { /* no effect on the ring */ }
    else throw new InputError(d.file, d.line, `server parameter "${p}" is not known to jidroute`);
  }
  return server;
}

/**
 * Reads an nginx.conf. Returns { kind: 'nginx', file, upstreams, servers,
 * logFormats, accessLogs }.
 */
export function readNginxConfig(file) {
  const tree = parseFile(file);
  const stream = tree.filter((d) => d.name === 'stream');
  if (!stream.length) {
    throw new InputError(file, 0, 'no stream block: jidroute routes nginx stream (TCP) connections');
  }
  const upstreams = [];
  const servers = [];
  const logFormats = {};
  const accessLogs = [];
  let defaultPolicy = 'bare';
  let streamPreread;
  const imports = new Set();
  for (const s of stream) {
    for (const d of s.block || []) {
      if (d.name === 'upstream') {
        const u = { name: d.args[0], line: d.line, file: d.file, method: 'round-robin', servers: [] };
        for (const x of d.block || []) {
          if (x.name === 'server') u.servers.push(parseServer(x));
          else if (x.name === 'hash') {
            u.method = 'hash';
            u.hashKey = x.args[0];
            u.consistent = x.args[1] === 'consistent';
            u.methodLine = x.line;
          } else if (['least_conn', 'random', 'least_time', 'ip_hash', 'sticky', 'ntlm'].includes(x.name)) {
            u.method = x.name;
            u.methodLine = x.line;
          } else if (x.name === 'zone' || x.name === 'keepalive' || x.name === 'state' || x.name === 'resolver' || x.name === 'resolver_timeout') {
            if (x.name === 'state') u.state = x;
          }
        }
        upstreams.push(u);
      } else if (d.name === 'server') {
        const srv = { line: d.line, file: d.file, listen: [], policy: undefined, setPolicy: undefined, preread: undefined };
        for (const x of d.block || []) {
          if (x.name === 'listen') srv.listen.push(x.args.join(' '));
          else if (x.name === 'proxy_pass') srv.proxyPass = x.args[0];
          else if (x.name === 'js_preread') srv.preread = { handler: x.args[0], line: x.line };
          else if ((x.name === 'set' || x.name === 'js_var') && x.args[0] === '$xmpp_policy') srv.setPolicy = x.args[1] === 'domain' ? 'domain' : 'bare';
          else if (x.name === 'access_log') accessLogs.push({ path: x.args[0], format: x.args[1], line: x.line, file: x.file });
        }
        servers.push(srv);
      } else if (d.name === 'log_format') {
        const escape = d.args.find((a) => a.startsWith('escape='));
        const parts = d.args.slice(1).filter((a) => !a.startsWith('escape='));
        logFormats[d.args[0]] = { name: d.args[0], escape: escape ? escape.slice(7) : 'default', format: parts.join(''), line: d.line, file: d.file };
      } else if (d.name === 'access_log') {
        accessLogs.push({ path: d.args[0], format: d.args[1], line: d.line, file: d.file });
      } else if (d.name === 'js_import') {
        // js_import NAME from FILE | js_import FILE (the name is the file's).
        imports.add(d.args[1] === 'from' ? d.args[0] : basename(d.args[0]).replace(/\.js$/, ''));
      } else if (d.name === 'js_preread') {
        streamPreread = { handler: d.args[0], line: d.line };
      } else if (d.name === 'js_var' && d.args[0] === '$xmpp_policy' && d.args[1]) {
        // A js_var value reaches every server of the stream block (README).
        defaultPolicy = d.args[1] === 'domain' ? 'domain' : 'bare';
      }
    }
  }
  // The policy is in the handler's name: jidroute.bare, jidroute.domain;
  // jidroute.preread reads $xmpp_policy (set in the server, or a js_var value
  // in stream {}), bare when unset. No jidroute handler: $xmpp_key is empty
  // and nginx's hash sends every connection to one server.
  for (const s of servers) {
    const pre = s.preread || streamPreread;
    const m = pre && /^([^.]+)\.(bare|domain|preread)$/.exec(pre.handler || '');
    if (!m || !imports.has(m[1])) s.policy = 'none';
    else s.policy = m[2] === 'preread' ? s.setPolicy || defaultPolicy : m[2];
    s.handler = pre?.handler;
  }
  return { kind: 'nginx', file, upstreams, servers, logFormats, accessLogs };
}

/**
 * The upstream's ring as jidroute emulates it, or an InputError saying why
 * it cannot: another balancing method, a key other than $xmpp_key or
 * $remote_addr, variables or `resolve` in server names, `backup` (nginx
 * refuses it with hash).
 */
export function nginxUpstreamModel(config, name) {
  const u = pickUpstream(config, name);
  const where = (line) => [u.file, line || u.line];
  if (u.method !== 'hash') {
    throw new InputError(...where(u.methodLine), `upstream ${u.name} balances by ${u.method}: only "hash $xmpp_key [consistent]" can be emulated`);
  }
  let keyKind;
  if (u.hashKey === '$xmpp_key') keyKind = 'key';
  else if (u.hashKey === '$remote_addr') keyKind = 'addr';
  else throw new InputError(...where(u.methodLine), `upstream ${u.name} hashes on "${u.hashKey}": only $xmpp_key (jidroute) or $remote_addr can be emulated`);
  if (u.state) throw new InputError(...where(u.state.line), `upstream ${u.name}: servers from a state file cannot be emulated`);
  if (!u.servers.length) throw new InputError(...where(), `upstream ${u.name} has no server`);
  for (const s of u.servers) {
    if (s.name.includes('$')) throw new InputError(s.file, s.line, `server name with a variable cannot be emulated: ${s.name}`);
    if (s.resolve) throw new InputError(s.file, s.line, `server ${s.name} resolve: addresses from DNS at run time cannot be emulated`);
    if (s.backup) throw new InputError(s.file, s.line, `server ${s.name} backup: nginx refuses backup servers in a hash upstream`);
    if (s.name.startsWith('unix:')) throw new InputError(s.file, s.line, `server ${s.name}: unix sockets are not emulated`);
  }
  return {
    proxy: 'nginx', file: u.file, line: u.line, name: u.name, keyKind, consistent: u.consistent, hash: `hash ${u.hashKey}${u.consistent ? ' consistent' : ' (modulo: not consistent)'}`,
    servers: u.servers.map((s) => ({ name: s.name, address: s.name, weight: s.weight, down: s.down, line: s.line })),
    listeners: config.servers.filter((s) => s.proxyPass === u.name).map((s) => ({ listen: s.listen.join(' '), policy: s.policy, handler: s.handler, line: s.line })),
  };
}

function pickUpstream(config, name) {
  if (name) {
    const u = config.upstreams.find((x) => x.name === name);
    if (!u) throw new InputError(config.file, 0, `no stream upstream named ${name} (there are: ${config.upstreams.map((x) => x.name).join(', ') || 'none'})`);
    return u;
  }
  if (!config.upstreams.length) throw new InputError(config.file, 0, 'no upstream in the stream block');
  // The upstream of the first listener that proxies to one: the c2s one in the examples.
  for (const s of config.servers) {
    const u = config.upstreams.find((x) => x.name === s.proxyPass);
    if (u) return u;
  }
  return config.upstreams[0];
}
