// Command-line options of the attack scripts: --name value, numbers where the
// default is a number. Every script prints its options and figures as JSON and
// writes them to bench/attack/results/<name>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../test/lib/proxies.mjs';

export function options(defaults) {
  const out = { ...defaults };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(argv[i]);
    if (!m) throw new Error(`unknown argument ${argv[i]}`);
    const name = m[1].replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(name in defaults)) throw new Error(`unknown option --${m[1]} (known: ${Object.keys(defaults).join(', ')})`);
    const value = m[2] ?? argv[++i];
    out[name] = typeof defaults[name] === 'number' ? Number(value) : value;
  }
  return out;
}

export function save(name, result) {
  const dir = join(ROOT, 'bench/attack/results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ when: new Date().toISOString(), ...result }, null, 2) + '\n');
  return file;
}
