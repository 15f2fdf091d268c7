// jidroute moves: which accounts (bare policy) and tenant domains (domain
// policy) land on another server when the servers change (added, drained,
// removed, reweighted) or the proxy's ring changes (HAProxy 2.6 -> 3.x).
import { readFileSync } from 'node:fs';
import { parseOptions } from './args.mjs';
import { InputError, UsageError } from './errors.mjs';
import { headerFor, routeHeader, bareJid, POLICIES } from './keys.mjs';
import { placement, serverLabel } from './model.mjs';
import { generatedAccounts } from './population.mjs';
import { table, count, pct } from './table.mjs';

export const HELP = `jidroute moves --before A.conf [--after B.conf] [--accounts FILE | --generate N] [options]

How many accounts (bare policy) and tenant domains (domain policy) land on
another server after a change, from which server to which, and the load
spread before and after: adding, draining (down), removing or reweighting a
server, or a proxy upgrade that changes the ring (HAProxy 2.6 -> 3.x: give
one config and two versions).

  --before FILE, --after FILE    configs before and after (nginx.conf or
                                 haproxy.cfg; --after defaults to --before)
  --accounts FILE                one JID a line ('#' comments, blank lines)
  --generate N                   N generated accounts (the affinity
                                 simulation's social population; default
                                 20000 when no --accounts)
  --upstream NAME, --backend NAME    which upstream/backend (both configs)
  --policy P                     bare, domain or both (default both)
  --haproxy-version V            the HAProxy version for both configs
  --before-haproxy-version V, --after-haproxy-version V
                                 a version for each (an upgrade)
  --list                         also list every account (domain) that moves
  --json                         one JSON document

Servers are matched between the configs by name (nginx: the address as
written; HAProxy: the server name). Exit status 2 for bad input.`;

const SPEC = {
  before: 'string', after: 'string', accounts: 'string', generate: 'number', upstream: 'string', backend: 'string',
  policy: 'string', 'haproxy-version': 'string', 'before-haproxy-version': 'string', 'after-haproxy-version': 'string',
  json: 'flag', list: 'flag', help: 'flag',
};

function readAccounts(file) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(file, 0, `cannot read: ${e.code || e.message}`);
  }
  const out = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    if (!line.includes('@') || bareJid(line) === '') throw new InputError(file, i + 1, `not an account JID: ${line.slice(0, 80)}`);
    out.push(line);
  });
  if (!out.length) throw new InputError(file, 0, 'no account in the file');
  return out;
}

const labelOf = (model, i) => (i < 0 ? '(none)' : model.proxy === 'haproxy' ? model.servers[i].name : model.servers[i].name);

export function computeMoves(accounts, before, after, policies, { list = false } = {}) {
  const result = {};
  const address = '192.0.2.1';
  for (const policy of policies) {
    // One key per account; under the domain policy several accounts share a key.
    const keys = new Map();
    for (const jid of accounts) {
      const r = routeHeader(headerFor(jid), policy, address);
      let k = keys.get(r.key);
      if (!k) keys.set(r.key, (k = { key: r.key, bytes: r.keyBytes, accounts: 0 }));
      k.accounts++;
    }
    const flows = new Map();
    const load = { before: {}, after: {} };
    let movedKeys = 0;
    let movedAccounts = 0;
    const moved = [];
    for (const k of keys.values()) {
      const a = labelOf(before.model, before.place(k.bytes, address));
      const b = labelOf(after.model, after.place(k.bytes, address));
      load.before[a] = (load.before[a] || 0) + k.accounts;
      load.after[b] = (load.after[b] || 0) + k.accounts;
      if (a !== b) {
        movedKeys++;
        movedAccounts += k.accounts;
        const f = `${a}\u0000${b}`;
        const x = flows.get(f) || { from: a, to: b, keys: 0, accounts: 0 };
        x.keys++;
        x.accounts += k.accounts;
        flows.set(f, x);
        if (list) moved.push({ key: k.key, accounts: k.accounts, from: a, to: b });
      }
    }
    result[policy] = {
      unit: policy === 'domain' ? 'tenant domains' : 'accounts',
      keys: keys.size, accounts: accounts.length, movedKeys, movedAccounts,
      flows: [...flows.values()].sort((x, y) => y.accounts - x.accounts),
      load,
      ...(list ? { moved } : {}),
    };
  }
  return result;
}

export function moves(argv, out) {
  const { options } = parseOptions(argv, SPEC);
  if (options.help) return out.write(HELP + '\n');
  if (!options.before) throw new UsageError('moves needs --before FILE');
  if (options.accounts && options.generate) throw new UsageError('--accounts or --generate, not both');
  const policy = options.policy || 'both';
  if (!['bare', 'domain', 'both'].includes(policy)) throw new UsageError(`--policy is bare, domain or both, not ${policy}`);
  const upstream = options.upstream || options.backend;
  const before = placement(options.before, { upstream, haproxyVersion: options['before-haproxy-version'] || options['haproxy-version'] });
  const after = placement(options.after || options.before, { upstream, haproxyVersion: options['after-haproxy-version'] || options['haproxy-version'] });
  if (before.model.proxy !== after.model.proxy) throw new UsageError('--before and --after must be configs of the same proxy (nginx and HAProxy hash differently)');
  const accounts = options.accounts ? readAccounts(options.accounts) : generatedAccounts(options.generate || 20000);
  const source = options.accounts ? `${count(accounts.length)} accounts from ${options.accounts}` : `${count(accounts.length)} generated accounts (user0@social1.example ... on 50 domains)`;
  const result = computeMoves(accounts, before, after, policy === 'both' ? POLICIES : [policy], { list: options.list });
  if (options.json) {
    out.write(JSON.stringify({ before: before.describe, after: after.describe, accounts: source, ...result }, null, 2) + '\n');
    return;
  }
  const lines = [`before: ${before.describe}`, `after:  ${after.describe}`, `population: ${source}`];
  const servers = [...new Set([...before.model.servers.map((_, i) => labelOf(before.model, i)), ...after.model.servers.map((_, i) => labelOf(after.model, i))])];
  const addressOf = (name) => {
    const s = after.model.servers.find((x) => x.name === name) || before.model.servers.find((x) => x.name === name);
    return before.model.proxy === 'haproxy' && s ? `${name} ${s.address}` : name;
  };
  for (const [pol, r] of Object.entries(result)) {
    lines.push('');
    if (pol === 'domain') {
      lines.push(`domain policy: ${count(r.movedKeys)} of ${count(r.keys)} tenant domains move (${pct(r.movedKeys, r.keys)}), ` +
        `with ${count(r.movedAccounts)} of ${count(r.accounts)} accounts (${pct(r.movedAccounts, r.accounts)})`);
    } else {
      lines.push(`bare policy: ${count(r.movedAccounts)} of ${count(r.accounts)} accounts move (${pct(r.movedAccounts, r.accounts)})`);
    }
    if (r.flows.length) {
      lines.push(table(['from', 'to', pol === 'domain' ? 'domains' : 'accounts', ...(pol === 'domain' ? ['accounts'] : [])],
        r.flows.map((f) => [addressOf(f.from), addressOf(f.to), count(pol === 'domain' ? f.keys : f.accounts), ...(pol === 'domain' ? [count(f.accounts)] : [])]), { right: [2, 3] }));
    }
    if (r.moved && r.moved.length) {
      lines.push('');
      lines.push(table([pol === 'domain' ? 'tenant domain' : 'account', 'from', 'to'], r.moved.map((m) => [m.key, addressOf(m.from), addressOf(m.to)])));
    }
    lines.push('');
    lines.push(table(['server', 'accounts before', 'accounts after'], servers.map((s) => [
      addressOf(s),
      r.load.before[s] ? `${count(r.load.before[s])} (${pct(r.load.before[s], r.accounts)})` : '-',
      r.load.after[s] ? `${count(r.load.after[s])} (${pct(r.load.after[s], r.accounts)})` : '-',
    ]), { right: [1, 2] }));
  }
  out.write(lines.join('\n') + '\n');
}
