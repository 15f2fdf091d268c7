// Plain text tables for a terminal: columns padded to the widest cell,
// numbers right-aligned.
const width = (s) => [...String(s)].length;

export function table(headers, rows, { right = [] } = {}) {
  const all = [headers, ...rows].map((r) => r.map((c) => String(c ?? '')));
  const widths = headers.map((_, i) => Math.max(...all.map((r) => width(r[i] ?? ''))));
  const line = (r) => r.map((c, i) => {
    const pad = ' '.repeat(widths[i] - width(c));
    if (i === r.length - 1 && !right.includes(i)) return c;
    return right.includes(i) ? pad + c : c + pad;
  }).join('  ');
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

export const count = (n) => n.toLocaleString('en-US');
export const pct = (n, d) => (d ? `${((100 * n) / d).toFixed(1)}%` : '-');
