// Command-line options of the benchmarks (--name value, --name=value, --flag,
// --no-flag; numbers where the default is one) and the figures of a run:
// median, percentile, and the files they are written to.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ROOT } from './proxies.mjs';
export function parseArgs(argv, defaults) {
  const out = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    let [name, value] = a.slice(2).split(/=(.*)/s);
    const camel = (n) => n.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (name.startsWith('no-') && typeof defaults[camel(name.slice(3))] === 'boolean' && value === undefined) {
      out[camel(name.slice(3))] = false;
      continue;
    }
    const key = camel(name);
    if (!(key in defaults)) throw new Error(`unknown option --${name} (known: ${Object.keys(defaults).map((k) => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())).join(' ')})`);
    if (value === undefined) {
      if (typeof defaults[key] === 'boolean') value = 'true';
      else value = argv[++i];
    }
    const d = defaults[key];
    out[key] = typeof d === 'number' ? Number(value) : typeof d === 'boolean' ? value === 'true' || value === true : value;
    if (typeof d === 'number' && !Number.isFinite(out[key])) throw new Error(`--${name} wants a number`);
  }
  return out;
}

export function median(values) {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** The value below which `p` per cent of `values` (any order) lie. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Writes `files` ({ ext: text or object (as JSON) }) as <out>/<name>.<ext>,
 * `out` relative to the checkout; returns what was written, for the log. */
export function writeResults(out, name, files) {
  const dir = resolve(ROOT, out);
  mkdirSync(dir, { recursive: true });
  for (const [ext, content] of Object.entries(files)) {
    writeFileSync(join(dir, `${name}.${ext}`), typeof content === 'string' ? content : JSON.stringify(content, null, 2) + '\n');
  }
  return `${out}/${name}.{${Object.keys(files).join(',')}}`;
}
