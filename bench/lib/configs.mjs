// The configurations the cost benchmark compares. Every one of them is
// derived from the example configurations (njs/nginx.conf, haproxy/haproxy.cfg)
// by harness/proxies.mjs, the way the tests run them (ports moved, module
// path pointed at dist/), and then edited only where the configuration's point
// is: which module runs, and what the upstream hashes on. Edits common to all:
//   - logging off (the example's access log adds the same write per connection
//     to every configuration; the benchmark measures the module);
//   - nginx worker_connections raised so that the idle-connection run fits.
import { join } from 'node:path';
import { prepareNginx, prepareHaproxy, ROOT } from '../../harness/proxies.mjs';
import { readFileSync } from 'node:fs';

const PEERS = join(ROOT, 'bench/peers');

/** Replaces `from` with `to`, and fails loudly when the example changed so
 * much that `from` is not there: the benchmark must never quietly measure
 * something else. */
function must(text, from, to, what) {
  const out = text.replace(from, to);
  if (out === text) throw new Error(`bench config: cannot ${what} (the example configuration changed?)`);
  return out;
}

function nginxCommon(text) {
  text = must(text, /^\s*access_log\s+[^;]*;/m, '    access_log off;', 'turn the access log off');
  text = must(text, /worker_connections\s+\d+;/, 'worker_connections 16384;', 'raise worker_connections');
  return text;
}

const nginxEdits = {
  // No njs at all: hash on the client address.
  plain: (text) => {
    text = must(text, /^load_module\s+\S*ngx_stream_js_module\.so;\n/m, '', 'drop the njs module');
    text = must(text, /^\s*js_import\s[^\n]*\n/m, '', 'drop js_import');
    // Whole lines: a directive may carry a comment after it.
    text = text.replace(/^\s*(js_var|js_preread|js_set)\s[^\n]*\n/gm, '');
    text = text.replace(/^\s*set\s+\$xmpp_\w+\s[^\n]*\n/gm, '');
    text = must(text, /^\s*log_format\s[^;]*;\n/m, '', 'drop the log format that names njs variables');
    text = must(text, /hash \$xmpp_key consistent;/g, 'hash $remote_addr consistent;', 'hash on $remote_addr');
    return text;
  },
  floor: (text) => must(text, /(js_import\s+jidroute\s+from\s+)[^;]+;/, `$1${join(PEERS, 'floor.js')};`, 'load the floor module'),
  'floor-read': (text) => must(text, /(js_import\s+jidroute\s+from\s+)[^;]+;/, `$1${join(PEERS, 'floor-read.js')};`, 'load the floor-read module'),
  regex: (text) => must(text, /(js_import\s+jidroute\s+from\s+)[^;]+;/, `$1${join(PEERS, 'regex.js')};`, 'load the regex module'),
  jidroute: (text, module) => (module ? must(text, /(js_import\s+jidroute\s+from\s+)[^;]+;/, `$1${module};`, 'load another module') : text),
};

function haproxyCommon(text) {
  text = must(text, /^\s*log\s+stdout[^\n]*\n/m, '', 'drop the log target');
  text = must(text, /^\s*log\s+global\s*\n/m, '', 'drop log global');
  text = must(text, /^\s*log-format[^\n]*\n/m, '', 'drop the log format');
  return text;
}

const haproxyEdits = {
  plain: (text) => {
    text = must(text, /^\s*lua-load\s[^\n]*\n/m, '', 'drop lua-load');
    text = text.replace(/^\s*tcp-request\s[^\n]*\n/gm, '');
    text = must(text, /balance hash var\(sess\.xmpp_key\)/g, 'balance source', 'balance by source');
    return text;
  },
  floor: (text) => must(text, /^(\s*lua-load\s+)\S+/m, `$1${join(PEERS, 'floor.lua')}`, 'load the floor action'),
  'floor-read': (text) => must(text, /^(\s*lua-load\s+)\S+/m, `$1${join(PEERS, 'floor-read.lua')}`, 'load the floor-read action'),
  regex: (text) => {
    const rule = readFileSync(join(PEERS, 'regex.haproxy.cfg'), 'utf8');
    text = must(text, /^\s*lua-load\s[^\n]*\n/m, '', 'drop lua-load');
    return must(text, /^\s*tcp-request content lua\.jidroute(_domain)?\n/gm, rule, 'put the regex rule in place of the action');
  },
  jidroute: (text, module) => (module ? must(text, /^(\s*lua-load\s+)\S+/m, `$1${module}`, 'load another action') : text),
};

/**
 * The configurations: proxy x variant (x policy for jidroute). `listen` is the
 * example's port the load goes to: 5222 (bare policy) or 5322 (domain).
 */
const PROXY = { nginx: 'nginx', haproxy: 'HAProxy' };
const VARIANTS = [
  // [id, variant, label (nginx, HAProxy), listen]
  ['plain', 'plain', ['plain (hash $remote_addr)', 'plain (balance source)'], 5222],
  ['floor', 'floor', ['njs floor', 'Lua floor'], 5222],
  ['floor-read', 'floor-read', ['njs floor + wait for bytes', 'Lua floor + wait for bytes'], 5222],
  ['regex', 'regex', ['njs regex peer', 'regsub peer'], 5222],
  ['jidroute-bare', 'jidroute', ['jidroute bare', 'jidroute bare'], 5222],
  ['jidroute-domain', 'jidroute', ['jidroute domain', 'jidroute domain'], 5322],
];
export const CONFIGS = ['nginx', 'haproxy'].flatMap((proxy, p) => VARIANTS.map(([id, variant, labels, listen]) => (
  { id: `${proxy}-${id}`, proxy, variant, listen, label: `${PROXY[proxy]} ${labels[p]}` })));

/** Writes the configuration to a temporary folder; returns what
 * harness/proxies.mjs returns, plus the port to load and the backend ports.
 * `modules` ({ nginx, haproxy }: file paths) runs another build in place of
 * dist/ in the jidroute configurations, to compare variants of the module. */
export async function prepareConfig(config, modules = {}) {
  const module = modules[config.proxy];
  const prepared = config.proxy === 'nginx'
    ? await prepareNginx('njs/nginx.conf', { edit: (t) => nginxEdits[config.variant](nginxCommon(t), module) })
    : await prepareHaproxy('haproxy/haproxy.cfg', { edit: (t) => haproxyEdits[config.variant](haproxyCommon(t), module) });
  return {
    ...prepared,
    config,
    port: prepared.ports.get(config.listen),
    backendPorts: [5301, 5302, 5303].map((p) => prepared.ports.get(p)),
    s2sPorts: [5401, 5402, 5403].map((p) => prepared.ports.get(p)),
  };
}
