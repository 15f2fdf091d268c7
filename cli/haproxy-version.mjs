// The HAProxy version jidroute assumes: it picks the ring formula and
// decides the config's .if blocks.
import { spawnSync } from 'node:child_process';
import { InputError } from './errors.mjs';
import { formulaFor } from './ring-haproxy.mjs';

let detected;
/** The HAProxy this machine runs (`haproxy -v`), or undefined. */
export function detectHaproxyVersion() {
  if (detected !== undefined) return detected || undefined;
  const run = spawnSync('haproxy', ['-v'], { encoding: 'utf8', timeout: 5000 });
  const m = /HA-?Proxy version (\d+\.\d+(?:\.\d+)?)/.exec(run.stdout || '');
  detected = m ? m[1] : '';
  return detected || undefined;
}

/** The HAProxy version assumed: --haproxy-version, else this machine's,
 * else 2.6 (Debian 12). { version, source, formula, why }. */
export function haproxyVersion(option) {
  let version = option;
  let source = '--haproxy-version';
  if (!version) {
    version = detectHaproxyVersion();
    source = 'haproxy -v on this machine';
  }
  if (!version) {
    version = '2.6';
    source = 'default (no haproxy here; set --haproxy-version)';
  }
  if (!/^\d+\.\d+(\.\d+)?$/.test(version)) throw new InputError('--haproxy-version', 0, `not a version: ${version} (e.g. 2.6, 3.0.11)`);
  return { version, source, ...formulaFor(version) };
}

