// npm run bench:affinity: what routing by JID saves. A simulation, no
// network: a population of accounts with several devices (social: contacts
// across domains) and of IoT tenants (devices of a domain talk among
// themselves), placed on N backends by round robin, by client address, by
// bare JID and by domain, with nginx's and HAProxy's own consistent-hash
// placement (bench/lib/hashring.mjs). Then a check of that placement against
// the real proxies on a sample (loopback; --no-check skips it).
// Writes bench/results/affinity.{json,md}. Options: node bench/affinity.mjs --help
import { ROOT } from '../harness/proxies.mjs';
import { startStack, recordingBackends } from '../harness/stack.mjs';
import { exchange } from '../harness/backends.mjs';
import { parseArgs, writeResults } from '../harness/args.mjs';
import { placer, NginxRing, HaproxyRing } from './lib/hashring.mjs';
import { CONFIGS, prepareConfig } from './lib/configs.mjs';
import { machineInfo } from '../harness/machine.mjs';

const DEFAULTS = {
  backends: 3,
  seed: 1,
  accounts: 20000,       // social accounts
  domains: 50,           // social domains (sizes ~ 1/rank)
  contacts: 20,          // contacts per social account
  localContacts: 0.3,    // share of contacts in the account's own domain
  sameAddress: 0.3,      // share of an account's further devices on its first device's address (home NAT)
  fromShare: 1,          // share of devices that send `from` in their header
  messages: 200000,      // social messages
  tenants: 200,          // IoT tenant domains (sizes ~ 1/rank)
  iotDevices: 20000,     // IoT devices (each its own account, one connection)
  iotNatSize: 50,        // IoT devices per NAT address, on average
  iotMessages: 200000,
  check: true,           // check the emulation against the real nginx and HAProxy
  checkSample: 60,       // keys and addresses per proxy in the check
  chroot: process.env.JIDROUTE_CHROOT || '',
  out: 'bench/results',
  name: 'affinity',
  help: false,
};

// ---- a seeded population ----

function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Sizes proportional to 1/rank, each at least 1, summing to `total`. */
function zipfSizes(count, total) {
  const w = Array.from({ length: count }, (_, i) => 1 / (i + 1));
  const sum = w.reduce((a, b) => a + b, 0);
  const sizes = w.map((x) => Math.max(1, Math.floor((x / sum) * total)));
  let left = total - sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; left > 0; i = (i + 1) % count, left--) sizes[i]++;
  return sizes;
}

function randomAddress(random) {
  // Public-looking IPv4: first octet 11..223 (what the hash sees is all that matters).
  return `${11 + Math.floor(random() * 213)}.${Math.floor(random() * 256)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`;
}

const DEVICE_COUNTS = [[1, 0.35], [2, 0.35], [3, 0.2], [4, 0.1]];

function pickDevices(random) {
  let r = random();
  for (const [n, p] of DEVICE_COUNTS) { if (r < p) return n; r -= p; }
  return 1;
}

/** `total` accounts <user>N@<domain>K.example over `groups` Zipf-sized
 * domains; `perDomain(size)` returns the function that makes an account's
 * devices. Returns { accounts, byDomain: [[account id]] }. */
function zipfAccounts(groups, total, domain, user, perDomain) {
  const accounts = [];
  const byDomain = [];
  zipfSizes(groups, total).forEach((size, d) => {
    const name = `${domain}${d + 1}.example`;
    const devicesOf = perDomain(size);
    byDomain.push([]);
    for (let i = 0; i < size; i++) {
      const id = accounts.length;
      accounts.push({ id, jid: `${user}${id}@${name}`, domain: name, domainIndex: d, devices: devicesOf() });
      byDomain[d].push(id);
    }
  });
  return { accounts, byDomain };
}

/** Social: accounts on Zipf-sized domains, 1-4 devices each, contacts. */
function socialPopulation(o, random) {
  const { accounts, byDomain } = zipfAccounts(o.domains, o.accounts, 'social', 'user', () => () => {
    const home = randomAddress(random);
    const n = pickDevices(random);
    const devices = [];
    for (let k = 0; k < n; k++) {
      devices.push({
        address: k === 0 || random() < o.sameAddress ? home : randomAddress(random),
        sendsFrom: random() < o.fromShare,
      });
    }
    return devices;
  });
  for (const a of accounts) {
    a.contacts = [];
    for (let c = 0; c < o.contacts; c++) {
      const pool = random() < o.localContacts ? byDomain[a.domainIndex] : null;
      let other;
      do {
        other = pool ? pool[Math.floor(random() * pool.length)] : Math.floor(random() * accounts.length);
      } while (other === a.id && accounts.length > 1);
      a.contacts.push(other);
    }
  }
  const messages = [];
  for (let m = 0; m < o.messages; m++) {
    const from = accounts[Math.floor(random() * accounts.length)];
    messages.push({
      from: from.id,
      device: Math.floor(random() * from.devices.length),
      to: from.contacts[Math.floor(random() * from.contacts.length)],
    });
  }
  return { accounts, messages, carbons: true };
}

/** IoT: tenants of Zipf-sized fleets behind a few NAT addresses each; every
 * device is an account; messages stay within a tenant. */
function iotPopulation(o, random) {
  const { accounts, byDomain: byTenant } = zipfAccounts(o.tenants, o.iotDevices, 'fleet', 'device', (size) => {
    const nats = Array.from({ length: Math.max(1, Math.round(size / o.iotNatSize)) }, () => randomAddress(random));
    return () => [{ address: nats[Math.floor(random() * nats.length)], sendsFrom: random() < o.fromShare }];
  });
  const messages = [];
  for (let m = 0; m < o.iotMessages; m++) {
    const from = accounts[Math.floor(random() * accounts.length)];
    const peers = byTenant[from.domainIndex];
    let to = from.id;
    if (peers.length > 1) while (to === from.id) to = peers[Math.floor(random() * peers.length)];
    messages.push({ from: from.id, device: 0, to });
  }
  return { accounts, messages, carbons: false };
}

// ---- placement and what it costs ----

/** The key a device's connection is hashed on, and whether it is an address. */
function keyOf(policy, account, device) {
  if (policy === 'address') return [device.address, 'addr'];
  if (policy === 'bare') return device.sendsFrom ? [account.jid, 'key'] : [device.address, 'addr'];
  return [account.domain, 'key']; // domain: from `from`, else from `to` (the same domain)
}

/** backend[account][device] for one policy, proxy and server set. */
function place(pop, policy, proxy, n, { down, random } = {}) {
  if (policy === 'round-robin') {
    // No memory: each (re)connection takes the next backend; connections
    // arrive in random order.
    const all = [];
    pop.accounts.forEach((a) => a.devices.forEach((_, k) => all.push([a.id, k])));
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [all[i], all[j]] = [all[j], all[i]];
    }
    const up = Array.from({ length: n }, (_, i) => i).filter((i) => !down?.has(i));
    const out = pop.accounts.map((a) => new Array(a.devices.length));
    all.forEach(([a, k], i) => { out[a][k] = up[i % up.length]; });
    return out;
  }
  const at = placer(proxy, n, { down });
  return pop.accounts.map((a) => a.devices.map((d) => at(...keyOf(policy, a, d))));
}

function measure(pop, placement, n) {
  let multi = 0;
  let split = 0;
  const domainBackends = new Map();
  const load = new Array(n).fill(0);
  pop.accounts.forEach((a, i) => {
    const set = new Set(placement[i]);
    if (a.devices.length > 1) { multi++; if (set.size > 1) split++; }
    let d = domainBackends.get(a.domain);
    if (!d) domainBackends.set(a.domain, (d = { connections: 0, backends: new Set() }));
    d.connections += a.devices.length;
    for (const b of placement[i]) { d.backends.add(b); load[b]++; }
  });
  let domains = 0;
  let domainsSplit = 0;
  for (const d of domainBackends.values()) {
    if (d.connections < 2) continue;
    domains++;
    if (d.backends.size > 1) domainsSplit++;
  }
  let crossing = 0;
  let deliveries = 0;
  let deliveriesCrossing = 0;
  for (const m of pop.messages) {
    const at = placement[m.from][m.device];
    let crossed = false;
    const targets = [...placement[m.to]];
    if (pop.carbons) placement[m.from].forEach((b, k) => { if (k !== m.device) targets.push(b); });
    for (const b of targets) {
      deliveries++;
      if (b !== at) { deliveriesCrossing++; crossed = true; }
    }
    if (crossed) crossing++;
  }
  const used = load.filter((x, i) => i < n);
  const mean = used.reduce((a, b) => a + b, 0) / used.filter((x) => x > 0).length;
  return {
    accountsSplit: multi ? split / multi : NaN,
    domainsSplit: domains ? domainsSplit / domains : NaN,
    messagesCrossing: crossing / pop.messages.length,
    deliveriesCrossing: deliveries ? deliveriesCrossing / deliveries : NaN,
    loadMaxOverMean: Math.max(...used) / mean,
  };
}

/** Share of accounts with at least one device on another backend. */
function moved(a, b) {
  let count = 0;
  for (let i = 0; i < a.length; i++) if (a[i].some((x, k) => x !== b[i][k])) count++;
  return count / a.length;
}

function simulate(o) {
  const rows = [];
  const patterns = [['social', socialPopulation], ['iot', iotPopulation]];
  for (const [pattern, make] of patterns) {
    const pop = make(o, rng(o.seed));
    for (const policy of ['round-robin', 'address', 'bare', 'domain']) {
      for (const proxy of policy === 'round-robin' ? ['any'] : ['nginx', 'haproxy']) {
        const random = rng(o.seed + 7);
        const base = place(pop, policy, proxy, o.backends, { random });
        const more = place(pop, policy, proxy, o.backends + 1, { random });
        const fewer = place(pop, policy, proxy, o.backends, { random, down: new Set([o.backends - 1]) });
        rows.push({
          pattern, policy, proxy,
          ...measure(pop, base, o.backends),
          movedOnAdd: moved(base, more),
          movedOnRemove: moved(base, fewer),
        });
      }
    }
  }
  return rows;
}

/** Share of keys HAProxy 2.6 and HAProxy 3.0.11 (Debian 12 and 13) place on
 * different servers: what an upgrade moves (see HaproxyRing). */
function haproxyUpgradeMove(o) {
  const pop = socialPopulation(o, rng(o.seed));
  const a = new HaproxyRing(o.backends);
  const b = new HaproxyRing(o.backends, { keyMode: '3.0-unfixed' });
  let n = 0;
  for (const acc of pop.accounts) if (a.place(acc.jid) !== b.place(acc.jid)) n++;
  return n / pop.accounts.length;
}

// ---- the check against the real proxies ----

/** One configuration's sample through the real proxy. */
async function checkOne(id, o, header) {
  const config = CONFIGS.find((c) => c.id === id);
  const names = ['b0', 'b1', 'b2'];
  const stack = await startStack({
    kind: config.proxy, prepare: () => prepareConfig(config), waitPort: config.listen,
    servers: recordingBackends([...names, 's0', 's1', 's2'], [5301, 5302, 5303, 5401, 5402, 5403]),
  });
  const { prepared } = stack;
  try {
    const emulations = config.proxy === 'nginx'
      ? { nginx: new NginxRing(prepared.backendPorts.map((p) => `127.0.0.1:${p}`)) }
      : { 'haproxy (hash-key id)': new HaproxyRing(3), 'haproxy 3.0 before the hash-key fix': new HaproxyRing(3, { keyMode: '3.0-unfixed' }) };
    const agree = Object.fromEntries(Object.keys(emulations).map((k) => [k, 0]));
    const random = rng(o.seed + 99);
    let total = 0;
    for (let i = 0; i < o.checkSample; i++) {
      let got;
      let place;
      if (config.variant === 'plain') {
        const address = `127.${2 + Math.floor(random() * 250)}.${Math.floor(random() * 256)}.${1 + Math.floor(random() * 254)}`;
        got = await exchange(prepared.port, header(null, 'example.com'), { localAddress: address });
        place = (ring) => (ring instanceof NginxRing ? ring.place(address) : ring.placeSource(address));
      } else {
        const jid = `user${Math.floor(random() * 1e6)}@social${1 + Math.floor(random() * 50)}.example`;
        got = await exchange(prepared.port, header(jid, jid.split('@')[1]));
        place = (ring) => ring.place(jid);
      }
      total++;
      for (const [k, ring] of Object.entries(emulations)) if (got.backend === names[place(ring)]) agree[k]++;
    }
    return { config: id, kind: config.variant === 'plain' ? 'client address' : 'jidroute key', total, agree };
  } finally {
    await stack.stop();
  }
}

async function checkProxies(o) {
  const results = [];
  const header = (from, to) => Buffer.from(`<?xml version='1.0'?><stream:stream ${from ? `from='${from}' ` : ''}to='${to}' ` +
    "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>");
  for (const id of ['nginx-jidroute-bare', 'nginx-plain', 'haproxy-jidroute-bare', 'haproxy-plain']) {
    results.push(await checkOne(id, o, header));
  }
  return results;
}

// ---- output ----

const pct = (v) => (Number.isFinite(v) ? `${(v * 100).toFixed(1)}%` : '–');

function markdown(r) {
  const o = r.options;
  const lines = ['# jidroute: what affinity saves', ''];
  lines.push(`Simulated ${r.machine.date.slice(0, 16).replace('T', ' ')} UTC (seed ${o.seed}), ${o.backends} backends. ` +
    `Social: ${o.accounts} accounts on ${o.domains} domains (sizes ~1/rank), 1–4 devices each (35/35/20/10%), ` +
    `${o.contacts} contacts each (${pct(o.localContacts)} in the own domain), ${pct(o.sameAddress)} of further devices on ` +
    `the first one's address, ${o.messages} messages delivered to every device of the recipient and, as carbons, to the ` +
    `sender's other devices. IoT: ${o.iotDevices} devices (one account, one connection each) in ${o.tenants} tenant ` +
    `domains (sizes ~1/rank) behind one NAT address per ~${o.iotNatSize} devices, ${o.iotMessages} messages within a tenant. ` +
    `${pct(o.fromShare)} of devices send \`from\` (the others are routed by address under the bare policy).`, '');
  lines.push('| pattern | routing | placement | accounts split | domains split | messages crossing | deliveries crossing | load max/mean | accounts moved, +1 backend | accounts moved, 1 backend down |');
  lines.push('|---|---|---|--:|--:|--:|--:|--:|--:|--:|');
  const policyName = { 'round-robin': 'round robin', address: 'client address', bare: 'bare JID (jidroute bare)', domain: 'domain (jidroute domain)' };
  for (const x of r.rows) {
    lines.push(`| ${x.pattern} | ${policyName[x.policy]} | ${x.proxy} | ${pct(x.accountsSplit)} | ${pct(x.domainsSplit)} | ` +
      `${pct(x.messagesCrossing)} | ${pct(x.deliveriesCrossing)} | ${x.loadMaxOverMean.toFixed(2)} | ${pct(x.movedOnAdd)} | ${pct(x.movedOnRemove)} |`);
  }
  lines.push('');
  lines.push('accounts split: share of accounts with two or more devices whose devices sit on more than one backend. ' +
    'domains split: share of domains (with two or more connections) spread over more than one backend. ' +
    'messages crossing: share of messages with at least one delivery to another backend than the sender\'s — traffic ' +
    'between cluster nodes, or messages lost where the servers are not clustered. load max/mean: connections on the ' +
    'busiest backend over the mean. moved: share of accounts with a device that lands elsewhere when it reconnects ' +
    'after a backend is added or one goes down (round robin: reconnections in a new order).', '');
  lines.push(`HAProxy 2.6 (Debian 12) and HAProxy 3.0.11 (Debian 13) place ${pct(r.haproxyUpgradeMove)} of these accounts ` +
    'on different servers with the same configuration: 3.0 until the fix "BUG/MAJOR: lb-chash: fix key calculation when ' +
    'using default hash-key id" (October 2025) computes its ring from a doubly hashed server id. An upgrade across it ' +
    'moves that share of accounts once (and the fix moves them back).', '');
  if (r.check) {
    lines.push('Check of the emulated placement against the real proxies (each row: a sample of connections through the ' +
      `proxy, the backend it chose against the emulation's; proxies: nginx ${r.machine.nginx}, HAProxy ${r.machine.haproxy}` +
      `${r.machine.chroot ? `, from ${r.machine.chroot}` : ''}):`, '');
    lines.push('| configuration | hashed on | emulation | agree |');
    lines.push('|---|---|---|--:|');
    for (const c of r.check) for (const [k, v] of Object.entries(c.agree)) lines.push(`| ${c.config} | ${c.kind} | ${k} | ${v}/${c.total} |`);
    lines.push('');
  }
  return lines.join('\n') + '\n';
}

async function main() {
  const o = parseArgs(process.argv.slice(2), DEFAULTS);
  if (o.help) {
    console.log('node bench/affinity.mjs [--option value ...]\n' +
      Object.entries(DEFAULTS).map(([k, v]) => `  --${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} (${JSON.stringify(v)})`).join('\n'));
    return;
  }
  if (o.backends < 2) throw new Error('--backends must be at least 2');
  const started = Date.now();
  const rows = simulate(o);
  const result = {
    kind: 'affinity', options: o, machine: machineInfo({ chroot: o.chroot || undefined }), rows,
    haproxyUpgradeMove: haproxyUpgradeMove(o),
  };
  result.simulationSeconds = (Date.now() - started) / 1000;
  if (o.check) result.check = await checkProxies(o);
  result.seconds = (Date.now() - started) / 1000;
  const md = markdown(result);
  console.log(md);
  if (o.out) console.error(`wrote ${writeResults(o.out, o.name, { json: result, md })}`);
}

await main();
