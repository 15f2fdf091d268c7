// npm run demo: nginx and HAProxy, each with jidroute and its example config,
// in front of three backends; devices of a few accounts connect, each from an
// address of its own, and a table shows where each landed.
import { prepareNginx, prepareHaproxy, startProxy } from '../test/lib/proxies.mjs';
import { startBackends, exchange } from '../test/lib/backends.mjs';

const ACCOUNTS = ['juliet@capulet.example', 'romeo@montague.example', 'nurse@capulet.example', 'benvolio@montague.example'];
const DEVICES = ['phone', 'laptop', 'tablet'];
const header = (from, to) => Buffer.from(`<?xml version='1.0'?><stream:stream ${from ? `from='${from}' ` : ''}to='${to}' ` +
  "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>");

async function run(kind, prepare) {
  const prepared = await prepare();
  const backends = await startBackends(['server-1', 'server-2', 'server-3'], [5301, 5302, 5303].map((p) => prepared.ports.get(p)));
  const proxy = await startProxy(prepared);
  const rows = [];
  let address = 10;
  try {
    for (const [listener, policy] of [[5222, 'bare'], [5322, 'domain']]) {
      for (const jid of ACCOUNTS) {
        const landed = [];
        for (const device of DEVICES) {
          const r = await exchange(proxy.port(listener), header(`${jid}/${device}`, jid.split('@')[1]), { localAddress: `127.0.0.${address++}` });
          landed.push(r.backend ?? 'closed');
        }
        // A client that leaves `from` out (most do before STARTTLS): routed by address.
        const r = await exchange(proxy.port(listener), header(null, jid.split('@')[1]), { localAddress: `127.0.0.${address++}` });
        rows.push({ proxy: kind, policy, account: jid, devices: landed.join(' '), together: new Set(landed).size === 1 ? 'yes' : 'NO', 'no from': r.backend });
      }
    }
  } finally {
    await proxy.stop();
    await Promise.all(backends.map((b) => b.close()));
  }
  return rows;
}

const rows = [...await run('nginx', () => prepareNginx()), ...await run('haproxy', () => prepareHaproxy())];
const columns = Object.keys(rows[0]);
const width = Object.fromEntries(columns.map((c) => [c, Math.max(c.length, ...rows.map((r) => String(r[c]).length))]));
const line = (r) => columns.map((c) => String(r[c]).padEnd(width[c])).join('  ');
console.log(line(Object.fromEntries(columns.map((c) => [c, c]))));
console.log(columns.map((c) => '-'.repeat(width[c])).join('  '));
for (const r of rows) console.log(line(r));
console.log('\nbare: every device of an account on one server. domain: every account of a tenant domain on one server.');
console.log("'no from': a device that sends no 'from' before STARTTLS lands by its address, wherever that hashes.");
