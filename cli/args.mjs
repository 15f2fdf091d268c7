// Command-line options: --name value, --name=value, flags, and the rest as
// positional arguments ('-' is one). Unknown options are usage errors.
import { UsageError } from './errors.mjs';

/** spec: { name: 'string' | 'list' | 'flag' | 'number' }. */
export function parseOptions(argv, spec) {
  const options = {};
  const positional = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') { positional.push(...argv.slice(i + 1)); break; }
    if (!a.startsWith('--')) { positional.push(a); continue; }
    const eq = a.indexOf('=');
    const name = a.slice(2, eq < 0 ? undefined : eq);
    const type = spec[name];
    if (!type) throw new UsageError(`unknown option --${name}`);
    if (type === 'flag') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      options[name] = true;
      continue;
    }
    let value;
    if (eq >= 0) value = a.slice(eq + 1);
    else {
      if (i + 1 >= argv.length) throw new UsageError(`--${name} needs a value`);
      value = argv[++i];
    }
    if (type === 'number') {
      if (!/^\d+$/.test(value)) throw new UsageError(`--${name} needs a whole number, not "${value}"`);
      value = Number(value);
    }
    if (type === 'list') options[name] = (options[name] || []).concat([value]);
    else options[name] = value;
  }
  return { options, positional };
}
