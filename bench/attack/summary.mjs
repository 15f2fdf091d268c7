// Totals over bench/attack/results/*.json (the files the attack scripts
// write): per scenario and proxy, bytes checked both ways, sessions checked,
// anything lost or changed. The figures table in docs/hostile.md comes
// from this and from the files themselves.
//
//   node bench/attack/summary.mjs [--suffix -chroot]
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../harness/proxies.mjs';
import { options } from './args.mjs';

const o = options({ suffix: '' });
const dir = join(ROOT, 'bench/attack/results');
const scenarios = ['slow-clients', 'floods', 'hot-spotting', 'reload-under-load', 'backend-faults', 'reconnect-storm'];
const total = { bytes: 0, sessions: 0, lost: 0 };
for (const name of scenarios) {
  const file = join(dir, `${name}${o.suffix}.json`);
  if (!existsSync(file)) { console.log(`${name}: no results`); continue; }
  const d = JSON.parse(readFileSync(file, 'utf8'));
  for (const r of d.results) {
    const t = r.tally;
    const bytes = t.bytesUp + t.bytesDown;
    const lost = t.mismatches + t.foreignBytes;
    total.bytes += bytes; total.sessions += t.sessions; total.lost += lost;
    console.log(`${name.padEnd(18)} ${r.kind.padEnd(8)} ${String(t.sessions).padStart(7)} sessions checked, ${(bytes / 1e6).toFixed(1).padStart(7)} MB both ways, ${lost} lost or changed` +
      `${r.errors && r.errors.length ? `; proxy log: ${r.errors.length} alarming line(s)` : ''}  [${d.nginx} / njs ${d.njs} / ${String(d.haproxy).split(' ').slice(0, 3).join(' ')}; ${String(d.commit).slice(0, 7)}]`);
  }
}
const fuzz = join(dir, `fuzz.json`);
if (existsSync(fuzz)) {
  const f = JSON.parse(readFileSync(fuzz, 'utf8'));
  console.log(`fuzz: ${f.inputs} inputs, ${(f.bytes / 1e9).toFixed(2)} GB, ${f.exceptions + f.luaErrors + f.invalid + f.splitDiffers + f.buildsDiffer} failures, ${(f.ms / 60000).toFixed(1)} min`);
}
console.log(`total: ${total.sessions} sessions checked, ${(total.bytes / 1e6).toFixed(1)} MB both ways, ${total.lost} lost or changed`);
