// The access-log formats jidroute's example configs write, read from the
// configs themselves (nginx `log_format ... escape=none`, HAProxy
// `log-format` with the `hex` converter) and compiled into line parsers.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { readNginxConfig } from './config-nginx.mjs';
import { readHaproxyConfig } from './config-haproxy.mjs';
import { configKind } from './model.mjs';

const escapeRe = (s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

const NGINX_FIELDS = {
  xmpp_key: 'key', xmpp_route_by: 'by', xmpp_from: 'from', xmpp_to: 'to', xmpp_stream: 'stream',
  upstream_addr: 'backend', remote_addr: 'client', time_local: 'time', time_iso8601: 'time',
};

/** nginx: literal text and $variables; every variable a lazy group. */
export function compileNginx(lf) {
  const parts = [];
  const re = /\$(?:\{(\w+)\}|(\w+))/g;
  let at = 0;
  let m;
  while ((m = re.exec(lf.format))) {
    if (m.index > at) parts.push({ text: lf.format.slice(at, m.index) });
    parts.push({ v: m[1] || m[2] });
    at = re.lastIndex;
  }
  if (at < lf.format.length) parts.push({ text: lf.format.slice(at) });
  return compile(parts, (v) => NGINX_FIELDS[v], {
    proxy: 'nginx', label: `nginx log_format ${lf.name} (${lf.file}:${lf.line})`,
    decode: lf.escape === 'none' ? (s) => s : unescapeNginx,
  });
}

/** escape=default and escape=json write bytes as \xHH (and json \" \\ \uXXXX). */
function unescapeNginx(s) {
  if (!s.includes('\\')) return s;
  const bytes = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && s[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(s.slice(i + 2, i + 4))) {
      bytes.push(parseInt(s.slice(i + 2, i + 4), 16));
      i += 3;
    } else if (s[i] === '\\' && (s[i + 1] === '"' || s[i + 1] === '\\')) {
      bytes.push(s.charCodeAt(++i));
    } else bytes.push(...Buffer.from(s[i], 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}

const HAPROXY_ALIASES = { ci: 'client', t: 'time', b: 'backendName', s: 'serverName' };

/** HAProxy: %[sample,converters], %alias, %{flags}alias, %% ; the rest literal. */
export function compileHaproxy(lf) {
  const parts = [];
  const f = lf.format;
  let text = '';
  for (let i = 0; i < f.length; i++) {
    if (f[i] !== '%') { text += f[i]; continue; }
    if (f[i + 1] === '%') { text += '%'; i++; continue; }
    if (text) { parts.push({ text }); text = ''; }
    let j = i + 1;
    if (f[j] === '{') j = f.indexOf('}', j) + 1;
    if (f[j] === '[') {
      const end = f.indexOf(']', j);
      parts.push({ v: `[${f.slice(j + 1, end)}]` });
      i = end;
    } else {
      const m = /^[A-Za-z]+/.exec(f.slice(j));
      parts.push({ v: m ? m[0] : '' });
      i = j + (m ? m[0].length : 0) - 1;
    }
  }
  if (text) parts.push({ text });
  const hexFields = new Set();
  const field = (v) => {
    const m = /^\[var\(sess\.xmpp_(key|route_by|from|to|stream)\)(,hex)?\]$/.exec(v);
    if (m) {
      const name = { key: 'key', route_by: 'by', from: 'from', to: 'to', stream: 'stream' }[m[1]];
      if (m[2]) hexFields.add(name);
      return name;
    }
    return HAPROXY_ALIASES[v];
  };
  return compile(parts, field, {
    proxy: 'haproxy', label: `HAProxy log-format (${lf.file}:${lf.line})`,
    decodeField: (name, s) => (hexFields.has(name) ? (/^([0-9A-Fa-f]{2})*$/.test(s) ? Buffer.from(s, 'hex').toString('utf8') : null) : s),
  });
}

function compile(parts, fieldOf, { proxy, label, decode = (s) => s, decodeField }) {
  const names = [];
  let src = '^';
  parts.forEach((p, i) => {
    if (p.text !== undefined) { src += escapeRe(p.text); return; }
    const name = fieldOf(p.v);
    const last = i === parts.length - 1;
    // A client address is followed by ':' and a port: no spaces in it, and
    // the shortest run that lets the rest match (IPv6 has colons too).
    const pattern = name === 'client' ? '(\\S+?)' : last ? '(.*)' : '(.*?)';
    src += pattern;
    names.push(name || null);
  });
  src += '$';
  const re = new RegExp(src);
  const required = ['key', 'by', 'stream'];
  const have = new Set(names.filter(Boolean));
  const backendOk = have.has('backend') || (have.has('backendName') && have.has('serverName'));
  const usable = required.every((r) => have.has(r)) && backendOk;
  return {
    proxy, label, source: src, usable,
    missing: [...required.filter((r) => !have.has(r)), ...(backendOk ? [] : ['the server'])],
    /** A record, or null when the line is not of this format. */
    parse(line) {
      const m = re.exec(line);
      if (!m) return null;
      const rec = {};
      for (let k = 0; k < names.length; k++) {
        const n = names[k];
        if (!n) continue;
        let v = m[k + 1];
        if (v === '-') v = '';
        v = decodeField ? decodeField(n, v) : decode(v);
        if (v === null) return null;
        rec[n] = v;
      }
      if (rec.backendName !== undefined) rec.backend = rec.serverName === '' || rec.serverName === '<NOSRV>' ? '' : `${rec.backendName}/${rec.serverName}`;
      return rec;
    },
  };
}

/** Every log format of the given configs (and the example configs in
 * njs/ and haproxy/ under `root`), the ones jidroute can read. */
export function logFormats(configFiles, root) {
  const files = [...configFiles];
  for (const [dir, ext] of [['njs', '.conf'], ['haproxy', '.cfg']]) {
    try {
      for (const n of readdirSync(join(root, dir)).sort()) if (n.endsWith(ext)) files.push(join(root, dir, n));
    } catch { /* not there: only the configs given */ }
  }
  const formats = [];
  const seen = new Set();
  const add = (f) => {
    if (!f.usable || seen.has(f.source)) return;
    seen.add(f.source);
    formats.push(f);
  };
  for (const file of files) {
    const kind = configKind(file);
    if (kind === 'nginx') {
      const c = readNginxConfig(file);
      for (const lf of Object.values(c.logFormats)) add(compileNginx(lf));
    } else {
      const c = readHaproxyConfig(file);
      for (const lf of c.logFormats) add(compileHaproxy(lf));
    }
  }
  return formats;
}
