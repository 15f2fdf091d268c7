// A proxy config as jidroute emulates it: which servers a key can land on,
// and the ring that picks one.
import { readFileSync } from 'node:fs';
import { InputError } from './errors.mjs';
import { readNginxConfig, nginxUpstreamModel } from './config-nginx.mjs';
import { readHaproxyConfig, haproxyBackendModel } from './config-haproxy.mjs';
import { NginxRing, NginxHashRing } from './ring-nginx.mjs';
import { HaproxyRing, FORMULA_ID } from './ring-haproxy.mjs';
import { haproxyVersion, detectHaproxyVersion } from './haproxy-version.mjs';

/** nginx.conf or haproxy.cfg, told apart by what is in them. */
export function configKind(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(file, 0, `cannot read: ${e.code || e.message}`);
  }
  if (/(^|[\s;}])(stream|upstream\s+\S+|http|events)\s*\{/m.test(text)) return 'nginx';
  if (/^\s*(backend|frontend|listen|defaults)(\s|$)/m.test(text)) return 'haproxy';
  throw new InputError(file, 0, 'neither an nginx.conf (no stream/upstream block) nor a haproxy.cfg (no backend section)');
}

export function readConfig(file, haproxyOptions) {
  return configKind(file) === 'nginx' ? readNginxConfig(file) : readHaproxyConfig(file, haproxyOptions);
}

/**
 * The emulated placement for one upstream/backend of a config:
 * { model, ring, place(keyBytes, address) -> server index (-1: none),
 *   describe (one line), version? }.
 */
export function placement(file, { upstream, haproxyVersion: versionOption } = {}) {
  const kind = configKind(file);
  const v = kind === 'haproxy' ? haproxyVersion(versionOption) : undefined;
  const config = readConfig(file, v);
  if (config.kind === 'nginx') {
    const model = nginxUpstreamModel(config, upstream);
    const ring = new (model.consistent ? NginxRing : NginxHashRing)(model.servers.map((s) => s.name), { weights: model.servers.map((s) => s.weight) });
    const down = new Set(model.servers.map((s, i) => (s.down ? i : -1)).filter((i) => i >= 0));
    return {
      model, ring,
      place: (key) => ring.place(key, down),
      describe: `nginx upstream ${model.name} (${model.file}:${model.line}): ${model.hash}, ${serverList(model)}`,
    };
  }
  const model = haproxyBackendModel(config, upstream);
  for (const s of model.servers) {
    if (s.hashKey && /^2\./.test(v.version)) throw new InputError(model.file, s.line, `hash-key needs HAProxy 3.0 or later (assumed: ${v.version})`);
  }
  let ring;
  try {
    ring = new HaproxyRing(model.servers, { formula: v.formula, hashFunction: model.hashFunction, avalanche: model.avalanche, allBackups: model.allBackups });
  } catch (e) {
    throw new InputError(model.file, model.line, e.message);
  }
  const anyHashKey = model.servers.some((s) => s.hashKey && s.hashKey !== 'id');
  const byAddr = model.servers.filter((s) => s.hashKey === 'addr');
  const shared = byAddr.filter((s) => byAddr.some((o) => o !== s && o.host === s.host));
  const warning = shared.length ? `; warning: with hash-key addr, ${shared.map((s) => s.name).join(', ')} share one address and so one set of ring positions (use addr-port)` : '';
  return {
    model, ring, version: v,
    place: (key, address) => (model.keyKind === 'addr' ? ring.placeSource(address) : ring.place(key)),
    describe: `HAProxy backend ${model.name} (${model.file}:${model.line}): ${model.hash}, ${serverList(model)}; ` +
      `assuming HAProxy ${v.version} (${v.source}): ${anyHashKey ? 'hash-key per server' : v.why}${warning}`,
  };
}

function serverList(model) {
  return `${model.servers.length} servers (` + model.servers.map((s) => {
    const flags = [];
    if (model.proxy === 'haproxy') flags.push(`id ${s.id}`);
    if (s.weight !== 1) flags.push(`weight ${s.weight}`);
    if (s.down) flags.push('down');
    if (s.backup) flags.push('backup');
    if (s.hashKey) flags.push(`hash-key ${s.hashKey}`);
    const label = model.proxy === 'haproxy' ? `${s.name} ${s.address}` : s.name;
    return flags.length ? `${label} [${flags.join(', ')}]` : label;
  }).join(', ') + ')';
}

/** A server's label in output: nginx "127.0.0.1:5301", HAProxy "s1 (127.0.0.1:5301)". */
export function serverLabel(model, index) {
  if (index === -2) return '(round robin: not predictable)';
  if (index < 0) return '(no server up)';
  const s = model.servers[index];
  return model.proxy === 'haproxy' ? `${s.name} ${s.address}` : s.name;
}

export { FORMULA_ID, haproxyVersion, detectHaproxyVersion };
