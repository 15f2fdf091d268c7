// jidroute moves, against the real proxies: the proxy reloaded with the
// after-config places the sample exactly as `moves` predicted (which
// accounts move, from which server to which), for adding a fourth server,
// reweighting one and removing one; and on HAProxy, an upgrade of the proxy
// itself: the example config run by this line's HAProxy, then by another
// line's (harness/lines.mjs: HAProxy 3.0 from the Debian 13 root, 3.2 from
// the sid root, 3.4 built from the vendored tarball), the accounts that move
// as `moves` predicts.
import t from 'tap';
import { readFileSync, writeFileSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { startProxy } from '../harness/proxies.mjs';
import { waitFor, tempDir } from '../harness/procs.mjs';
import { sampleJids, startBackendStack, placeSample, predict, editServers, cliJson, haproxyVersionHere, otherLines, sleep } from './lib/cli.mjs';

const JIDS = sampleJids(220, 34);

/** Reloads a running proxy with the file now in its config path, and waits
 * until the old worker is gone (new connections reach the new config). */
async function reload(stack) {
  const { proxy } = stack;
  if (stack.kind === 'nginx') {
    const before = (proxy.errors().match(/gracefully shutting down/g) || []).length;
    process.kill(proxy.proc.pid, 'SIGHUP');
    await waitFor(() => (proxy.errors().match(/gracefully shutting down/g) || []).length > before, { what: 'nginx reload' });
  } else {
    const before = (proxy.proc.output.match(/exited with code/g) || []).length;
    process.kill(proxy.proc.pid, 'SIGUSR2');
    await waitFor(() => (proxy.proc.output.match(/exited with code/g) || []).length > before, { what: 'HAProxy reload' });
  }
  await sleep(300);
}

function addServer(kind, port) {
  return (text) => editServers(text, kind, 'xmpp_c2s', (l, i) => (i === 2
    ? `${l}\n${kind === 'nginx' ? l.replace(/127\.0\.0\.1:\d+/, `127.0.0.1:${port}`) : l.replace(/server s3 127\.0\.0\.1:\d+/, `server s4 127.0.0.1:${port}`)}`
    : l));
}
const weigh = (kind) => (text) => editServers(text, kind, 'xmpp_c2s', (l, i) => (i === 0 ? (kind === 'nginx' ? l.replace(/;\s*$/, ' weight=3;') : `${l} weight 3`) : l));
const removeSecond = (kind) => (text) => editServers(text, kind, 'xmpp_c2s', (l, i) => (i === 1 ? (kind === 'nginx' ? '        # removed' : '    # removed') : l));

/** The key of each account under each policy, from jidroute itself. */
async function keysOf(jids) {
  const json = await cliJson(['where', '-', '--config', 'njs/nginx.conf'], { input: jids.join('\n') + '\n' });
  const keys = { bare: [], domain: [] };
  for (const r of json.results) keys[r.policy].push(r.key);
  return keys;
}

/** key -> [backend before, backend after], for the keys that moved. */
function realMoves(keys, before, after) {
  const moved = new Map();
  keys.forEach((k, i) => { if (before[i] !== after[i]) moved.set(k, [before[i], after[i]]); });
  return moved;
}

for (const kind of ['nginx', 'haproxy']) {
  t.test(`${kind}: moves predicts what the reloaded proxy does`, async (t) => {
    const stack = await startBackendStack(kind, { extraBackends: 1 });
    const accounts = join(tempDir('jidroute-accounts-'), 'accounts.txt');
    writeFileSync(accounts, JIDS.join('\n') + '\n');
    const version = kind === 'haproxy' ? ['--haproxy-version', haproxyVersionHere()] : [];
    const keys = await keysOf(JIDS);
    try {
      const steps = [
        ['add a fourth server', addServer(kind, stack.ports[3])],
        ['weight 3 on the first', weigh(kind)],
        ['remove the second', removeSecond(kind)],
      ];
      let placed = await placeSample(stack, JIDS);
      for (const [what, edit] of steps) {
        const beforeConf = join(stack.prepared.dir, 'before.conf');
        copyFileSync(stack.prepared.conf, beforeConf);
        writeFileSync(stack.prepared.conf, edit(readFileSync(stack.prepared.conf, 'utf8')));
        const predicted = await cliJson(['moves', '--before', beforeConf, '--after', stack.prepared.conf, '--accounts', accounts, '--list', ...version]);
        await reload(stack);
        const now = await placeSample(stack, JIDS);
        t.equal(now.bare.filter(Boolean).length, JIDS.length, `${what}: every connection reached a backend`);
        for (const policy of ['bare', 'domain']) {
          // moves names servers as configs do: nginx by address, HAProxy by name (s1..s4).
          const toName = (server) => (kind === 'nginx' ? stack.nameOfAddress(server) : stack.names[Number(server.slice(1)) - 1]);
          const real = realMoves(keys[policy], placed[policy], now[policy]);
          const want = new Map(predicted[policy].moved.map((m) => [m.key, [toName(m.from), toName(m.to)]]));
          if (policy === 'bare') t.ok(want.size > 0, `${what}: some accounts move (${want.size})`);
          t.same(Object.fromEntries(real), Object.fromEntries(want), `${what}, ${policy} policy: the ${real.size} keys that moved are the ones predicted, from and to the servers predicted`);
        }
        const where = await predict(stack, JIDS, version);
        t.same(now.bare, where.bare, `${what}: where on the after-config agrees for every account`);
        placed = now;
      }
    } finally {
      await stack.stop();
    }
  });
}

for (const target of otherLines(['trixie', 'sid', 'sid-qjs'])) {
  t.test(`HAProxy upgrade to the ${target.name} line: the ring of another HAProxy version, as predicted`, { skip: target.missing || false }, async (t) => {
    const from = haproxyVersionHere();
    const to = haproxyVersionHere(target.line);
    const stack = await startBackendStack('haproxy');
    let next;
    try {
      const before = await placeSample(stack, JIDS);
      await stack.proxy.stop();
      // The same file, now run by the other line's HAProxy.
      next = await startProxy(stack.prepared, { waitPort: stack.c2s, line: target.line });
      const after = await placeSample({ ...stack, proxy: next }, JIDS);
      const accounts = join(stack.prepared.dir, 'accounts.txt');
      writeFileSync(accounts, JIDS.join('\n') + '\n');
      const p = await cliJson(['moves', '--before', stack.prepared.conf, '--before-haproxy-version', from, '--after-haproxy-version', to, '--accounts', accounts, '--list', '--policy', 'bare']);
      const keys = await keysOf(JIDS);
      const real = realMoves(keys.bare, before.bare, after.bare);
      const want = new Map(p.bare.moved.map((m) => [m.key, [stack.names[Number(m.from.slice(1)) - 1], stack.names[Number(m.to.slice(1)) - 1]]]));
      t.same(Object.fromEntries(real), Object.fromEntries(want), `HAProxy ${from} -> ${to}: ${real.size} of ${JIDS.length} accounts move, as predicted`);
      // 3.0 before the hash-key id fix builds the ring another way (most
      // accounts move); 3.2.26 and 3.4 carry the fix (none move).
      if (target.name === 'trixie' && from.startsWith('2.')) t.ok(real.size > JIDS.length / 3, `${from} -> ${to} changes the ring (${real.size} move)`);
      const where = await predict({ ...stack, proxy: next }, JIDS, ['--haproxy-version', to]);
      t.same(after.bare, where.bare, `where --haproxy-version ${to} agrees with the real HAProxy ${to} for every account`);
    } finally {
      if (next) await next.stop();
      await stack.stop();
    }
  });
}
