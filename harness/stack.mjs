// A proxy (an example config, ports moved) in front of servers, for every
// test and benchmark that runs one: startStack; the hostile-client, reload
// and fault scenarios' stack of echo backends; and what those share:
// reloading by signal, adding a backend, reading the proxy's errors.
import { readFileSync, writeFileSync } from 'node:fs';
import { prepareNginx, prepareHaproxy, startProxy, ERROR_PATTERNS } from './proxies.mjs';
import { startBackend, startBackends } from './backends.mjs';
import { processTree } from './proc-stats.mjs';
import { freePort, sleep, waitFor, waitForPort, retryOnPortClash } from './procs.mjs';

export const C2S = [5301, 5302, 5303];
export const S2S = [5401, 5402, 5403];
/** Listener ports of the example configs. */
export const BARE = 5222;
export const DOMAIN = 5322;

export const KINDS = ['nginx', 'haproxy'];

/**
 * The one way a test or a benchmark starts a proxy: nginx or HAProxy
 * (`kind`) with an example config (`config`, ports moved, `edit(text)`
 * applied; or `prepare()` for a config written otherwise) in front of the
 * servers `servers(real, prepared)` starts (`real(examplePort)` is the moved
 * port; it returns { stop(), ... } and may rewrite prepared.conf), then the
 * proxy (`start(prepared)`: harness/proxies.mjs startProxy, or a container). Waits
 * for `waitPort` (an example port, or the first of a list the config has),
 * every listener and for the proxy to stay up; on a port clash, starts
 * over with new ports. Returns { kind, prepared, proxy, servers, real, stop() }.
 */
export async function startStack({ kind, config, edit, prepare, servers = async () => ({ stop: async () => {} }), start = startProxy, waitPort, waitHost, line, settleMs = 200 }) {
  return retryOnPortClash(async () => {
    const prepared = prepare ? await prepare() : await (kind === 'nginx' ? prepareNginx : prepareHaproxy)(config, { edit });
    const real = (p) => (p === undefined ? undefined : prepared.ports.get(p));
    const started = await servers(real, prepared);
    let proxy;
    try {
      proxy = await start(prepared, { waitPort: [waitPort].flat().map(real).find(Boolean), waitHost, line });
      // Every listener, not only the first: a proxy that could not bind one
      // exits, possibly after the first was already up.
      const listeners = [...readFileSync(prepared.conf, 'utf8').matchAll(/^\s*(?:listen|bind)\s+127\.0\.0\.1:(\d+)/gm)].map((m) => Number(m[1]));
      for (const port of listeners) await waitForPort(port);
      await sleep(settleMs);
      if (proxy.proc?.exited) throw new Error(`${kind} did not start: ${proxy.proc.output.slice(-2000)}`);
    } catch (e) {
      await proxy?.stop();
      await started.stop();
      throw e;
    }
    // Should this process end without stop() (an uncaught error, a timeout),
    // the proxy goes with it rather than outliving the test.
    if (proxy.proc) {
      const killOnExit = () => {
        for (const pid of processTree(proxy.proc.pid).reverse()) { try { process.kill(pid, 'SIGKILL'); } catch {} }
      };
      process.once('exit', killOnExit);
      const stopProxy = proxy.stop;
      proxy.stop = async () => { process.removeListener('exit', killOnExit); await stopProxy(); };
    }
    return {
      kind, prepared, proxy, servers: started, real,
      async stop() {
        await proxy.stop();
        await started.stop();
      },
    };
  });
}

/** Recording backends `names` on the example ports `ports`, as startStack's
 * servers ({ backends, stop() }). */
export const recordingBackends = (names, ports, options) => async (real) => {
  const backends = await startBackends(names, ports.map(real), options);
  return { backends, stop: () => Promise.all(backends.map((b) => b.close())) };
};

/** Echo backends (harness/backends.mjs) on the example config's c2s and s2s
 * ports, as startStack's servers. */
export function echoBackends(real) {
  return startBackends([...C2S.map((_, i) => `c2s-${i + 1}`), ...S2S.map((_, i) => `s2s-${i + 1}`)], [...C2S, ...S2S].map(real), { echo: true })
    .then((all) => ({ backends: all.slice(0, C2S.length), s2s: all.slice(C2S.length), stop: () => Promise.all(all.map((b) => b.die())) }));
}

/**
 * The example config in front of echo backends, for the hostile-client,
 * reload and fault scenarios. `edit(text)` may change the config first (the
 * scenarios use it only to measure without a mitigation, never to make a
 * test pass).
 */
export async function startEchoStack(kind, { edit } = {}) {
  const stack = await startStack({ kind, edit, servers: echoBackends, waitPort: BARE });
  const { backends, s2s } = stack.servers;
  return Object.assign(stack, {
    backends, s2s,
    byName: Object.fromEntries([...backends, ...s2s].map((b) => [b.name, b])),
    port: stack.real(BARE),
    domainPort: stack.real(DOMAIN),
    pid: stack.proxy.proc.pid,
    stop: ((stopStack) => async () => {
      await stopStack();
      await Promise.all(stack.backends.map((b) => b.die())); // with those added since
    })(stack.stop),
  });
}

/** Adds a c2s backend (an echo backend on a new port) to the config file and
 * reloads the proxy; returns the new backend once the new workers answer. */
export async function addBackendAndReload(stack, name) {
  const port = await freePort();
  const backend = await startBackend(name, port, { echo: true });
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

/** What in the proxy's error output counts as an error (ERROR_PATTERNS,
 * less HAProxy's [ALERT] lines, which a backend fault or the test's own
 * SIGTERM rightly causes). */
export function proxyErrors(stack) {
  const text = stack.proxy.errors();
  const patterns = ERROR_PATTERNS[stack.kind].filter((p) => p.source !== '\\[ALERT\\]');
  return patterns.filter((p) => p.test(text)).map((p) => `${p}: ${(text.match(new RegExp(`.*${p.source}.*`, p.flags)) || [''])[0]}`);
}
