// A proxy (the example njs/nginx.conf or haproxy/haproxy.cfg, ports moved)
// in front of echo backends (harness/sessions.mjs), for the hostile-client,
// reload and fault scenarios; plus what they share: reloading by signal,
// rewriting the config, reading the proxy's own view of a connection.
import { readFileSync, writeFileSync } from 'node:fs';
import { prepareNginx, prepareHaproxy, startProxy } from './proxies.mjs';
import { startEchoBackend } from './sessions.mjs';
import { processTree } from './proc-stats.mjs';
import { freePort, sleep, waitFor, waitForPort } from './procs.mjs';

export const C2S = [5301, 5302, 5303];
export const S2S = [5401, 5402, 5403];
/** Listener ports of the example configs. */
export const BARE = 5222;
export const DOMAIN = 5322;

export const KINDS = ['nginx', 'haproxy'];

/**
 * Starts echo backends on the config's c2s and s2s ports, then the proxy.
 * `edit(text)` may change the config first (the scenarios use it only to
 * measure without a mitigation, never to make a test pass).
 */
export async function startStack(kind, { edit } = {}) {
  // A port freePort() found free can be taken (by any connection's
  // ephemeral port) before the proxy binds it: try again with new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnce(kind, { edit });
    } catch (e) {
      if (attempt >= 3 || !/Address already in use|did not start|nothing listens/.test(String(e.message))) throw e;
    }
  }
}

async function startStackOnce(kind, { edit } = {}) {
  const prepared = kind === 'nginx' ? await prepareNginx(undefined, { edit }) : await prepareHaproxy(undefined, { edit });
  const backends = [];
  for (const [i, p] of C2S.entries()) backends.push(await startEchoBackend(`c2s-${i + 1}`, prepared.ports.get(p)));
  const s2s = [];
  for (const [i, p] of S2S.entries()) s2s.push(await startEchoBackend(`s2s-${i + 1}`, prepared.ports.get(p)));
  let proxy;
  try {
    proxy = await startProxy(prepared, { waitPort: prepared.ports.get(BARE) });
    // Every listener, and the proxy still running (nginx exits when one
    // listener cannot bind, possibly after another one answered).
    for (const p of [BARE, DOMAIN, 5269]) await waitForPort(prepared.ports.get(p), { timeoutMs: 5000 });
    await sleep(200);
    if (proxy.proc.exited) throw new Error(`${kind} did not start: ${proxy.proc.output}`);
  } catch (e) {
    if (proxy) await proxy.stop();
    await Promise.all([...backends, ...s2s].map((b) => b.die()));
    throw e;
  }
  // Should this process end without stop() (an uncaught error, a timeout),
  // the proxy goes with it rather than outliving the test.
  const killOnExit = () => {
    for (const pid of processTree(proxy.proc.pid).reverse()) { try { process.kill(pid, 'SIGKILL'); } catch {} }
  };
  process.once('exit', killOnExit);
  const stack = {
    kind, prepared, proxy, backends, s2s,
    byName: Object.fromEntries([...backends, ...s2s].map((b) => [b.name, b])),
    port: proxy.port(BARE),
    domainPort: proxy.port(DOMAIN),
    pid: proxy.proc.pid,
    async stop() {
      process.removeListener('exit', killOnExit);
      await proxy.stop();
      await Promise.all([...stack.backends, ...s2s].map((b) => b.die()));
    },
  };
  return stack;
}

/** Adds a c2s backend (an echo backend on a new port) to the config file and
 * reloads the proxy; returns the new backend once the new workers answer. */
export async function addBackendAndReload(stack, name) {
  const port = await freePort();
  const backend = await startEchoBackend(name, port);
  const conf = stack.prepared.conf;
  let text = readFileSync(conf, 'utf8');
  const last = stack.prepared.ports.get(C2S[C2S.length - 1]);
  if (stack.kind === 'nginx') {
    const re = new RegExp(`(\\n(\\s*)server 127\\.0\\.0\\.1:${last}([^\\n]*)\\n)`);
    text = text.replace(re, (m, line, indent, rest) => `${line}${indent}server 127.0.0.1:${port}${rest}\n`);
  } else {
    const re = new RegExp(`(\\n(\\s*)server s3 127\\.0\\.0\\.1:${last}([^\\n]*)\\n)`);
    text = text.replace(re, (m, line, indent, rest) => `${line}${indent}server s4 127.0.0.1:${port}${rest}\n`);
  }
  if (!text.includes(`127.0.0.1:${port}`)) throw new Error('could not add a server to the config');
  writeFileSync(conf, text);
  stack.backends.push(backend);
  stack.byName[name] = backend;
  await reload(stack);
  return backend;
}

/**
 * Reloads the proxy by signalling the PID the test started: nginx re-reads
 * its config on HUP (what `nginx -s reload` sends); HAProxy's master
 * (-W) on USR2 starts new workers and lets the old ones finish their
 * sessions (what `-sf` does by hand). Resolves once a new worker is there.
 */
export async function reload(stack) {
  const before = new Set(processTree(stack.pid).slice(1));
  process.kill(stack.pid, stack.kind === 'nginx' ? 'SIGHUP' : 'SIGUSR2');
  await waitFor(() => processTree(stack.pid).slice(1).some((p) => !before.has(p)), { timeoutMs: 15000, what: `${stack.kind} to start new workers` });
  // The new worker needs a moment to take over the listening sockets.
  await sleep(300);
}

/** What in the proxy's error output counts as an error (as in
 * test/lib/routing-suite.mjs, less HAProxy's [ALERT] lines, which a backend
 * fault or the test's own SIGTERM rightly causes). */
export function proxyErrors(stack) {
  const text = stack.proxy.errors();
  const patterns = stack.kind === 'nginx'
    ? [/js exception/i, /\[alert\]/, /\[emerg\]/, /\[crit\]/, /jidroute:/, /pending events/]
    : [/lua.*error/i, /jidroute:/, /runtime error/i];
  return patterns.filter((p) => p.test(text)).map((p) => `${p}: ${(text.match(new RegExp(`.*${p.source}.*`, p.flags)) || [''])[0]}`);
}
