// Tables (Markdown) and the chart (SVG) of the benchmark results.

const fmt = (v, digits = 2) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
const x = (v) => (Number.isFinite(v) ? `${v.toFixed(2)}x` : '–');
const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function machineLine(m) {
  return `${m.date.slice(0, 16).replace('T', ' ')} UTC on ${m.cores} cores (${m.cpu}), kernel ${m.kernel}, ` +
    `nginx ${m.nginx} (njs module ${m.njsModule}), HAProxy ${m.haproxy} (${m.haproxyLua}), Node ${m.node}` +
    (m.engine === 'qjs' ? ' with `js_engine qjs` (QuickJS)' : '') +
    (m.line ? ` — release line ${m.line}` : '') +
    (m.nginxRoot || m.haproxyRoot || m.haproxyBin
      ? ` — nginx from ${m.nginxRoot || 'the host'}, HAProxy ${m.haproxyBin ? m.haproxyBin : `from ${m.haproxyRoot || 'the host'}`}`
      : m.chroot ? ` — proxies run from ${m.chroot}` : '');
}

export function costMarkdown(r) {
  const o = r.options;
  const m = r.machine;
  const lines = [];
  lines.push('# jidroute: cost per connection', '');
  lines.push(`Measured ${machineLine(m)}.` + (r.git ? ` Code: commit ${r.git.commit}${r.git.modified.length ? ` with uncommitted changes in ${r.git.modified.map((l) => l.slice(3)).join(', ')}` : ''}.` : ''));
  lines.push(`Machine load: load average ${m.loadavg.split(' ').slice(0, 3).join(' ')} at the start, ` +
    `${(m.loadavgAfter || '').split(' ').slice(0, 3).join(' ')} at the end; both cores ${(m.busyBefore * 100).toFixed(0)}% busy ` +
    `before the run and ${(m.busyAfter * 100).toFixed(0)}% after (other work shares this machine).`);
  lines.push(`Run: ${o.rounds} rounds, configurations alternating; saturation ${o.duration} s at ${o.concurrency} connections ` +
    `in flight after ${o.warmup} s warm-up; latency at ${o.rate} conn/s for ${o.rateDuration} s; proxy on CPU ${o.proxyCpu}, ` +
    `load generator and backends on CPU ${o.loadCpu}; ${fmt(r.seconds, 0)} s in all. Medians over rounds; ratios taken ` +
    'within each round, then their median.', '');
  lines.push('| configuration | conn/s | vs plain | vs floor | CPU µs/conn | capacity vs plain | vs floor | p50 ms | p99 ms | p99 added vs plain, ms | idle KiB/conn | instructions/conn |');
  lines.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const row of r.rows) {
    const plain = row.variant === 'plain';
    const floor = row.variant === 'floor';
    lines.push(`| ${row.label} | ${fmt(row.connPerS, 0)} | ${plain ? '1' : x(row.connVsPlain)} | ${floor ? '1' : plain ? '–' : x(row.connVsFloor)} | ` +
      `${fmt(row.cpuUsPerConn, 1)} | ${plain ? '1' : x(row.cpuVsPlain)} | ${floor ? '1' : plain ? '–' : x(row.cpuVsFloor)} | ` +
      `${fmt(row.p50Ms)} | ${fmt(row.p99Ms)} | ${plain ? '–' : fmt(row.addedP99MsVsPlain)} | ` +
      `${row.idleBytesPerConn !== undefined ? fmt(row.idleBytesPerConn / 1024, 1) : '–'} | ` +
      `${row.instructionsPerConn ? `${fmt(row.instructionsPerConn / 1000, 0)}k` : '–'} |`);
  }
  lines.push('');
  lines.push('conn/s: connections per second at saturation (each connects, sends a 189-byte client header, reads the ' +
    "backend's first answer, resets). CPU µs/conn: CPU time of the proxy's worker per connection (/proc schedstat), " +
    "user and kernel. capacity: the reference's CPU per connection divided by this one's (1/CPU as a throughput; " +
    'higher is better). p50/p99: connect to the first byte of the answer at a fixed moderate rate. idle: resident ' +
    `memory the worker gains per idle connection (${o.idle} connections held open).` +
    (Object.keys(r.callgrind || {}).length ? ' instructions/conn: instructions the worker executes per connection under callgrind (repeatable on a noisy machine).' : ''), '');
  lines.push('Load check (medians): share of the proxy core the worker used, and of the load core the generator and backends used, at saturation:', '');
  lines.push('| configuration | proxy core | load core | failed connections |');
  lines.push('|---|--:|--:|--:|');
  for (const row of r.rows) lines.push(`| ${row.label} | ${fmt(row.proxyBusy * 100, 0)}% | ${fmt(row.loadBusy * 100, 0)}% | ${row.failures} |`);
  lines.push('');
  if (r.targets.length) {
    lines.push('## Targets', '');
    lines.push('Issue 10\'s targets, per platform: instructions (callgrind) and idle memory repeat across runs; capacity ' +
      '(CPU per connection at saturation) and conn/s depend on the load other work puts on this shared machine.', '');
    lines.push('| target | measured | |');
    lines.push('|---|--:|---|');
    for (const t of r.targets) lines.push(`| ${t.what} | ${fmt(t.value)}${t.unit || ''} | ${t.met ? 'met' : '**missed**'} |`);
    lines.push('');
  }
  if (r.regexPeer) {
    lines.push(`The regex peers are cheap because they do not read XML: the njs peer routes ${r.regexPeer.agree} of ` +
      `${r.regexPeer.vectors} bare-policy test vectors (test/vectors/) as jidroute does; it misreads ` +
      'entities, prefixes other than stream:, a \'>\' inside a value, invalid JIDs, server streams, headers over the limit. ' +
      'The HAProxy peer has the same blind spots, and keys a header without from on the whole header.', '');
  }
  if (Object.keys(r.errors || {}).length) {
    lines.push('## Errors logged by the proxies', '');
    for (const [id, ls] of Object.entries(r.errors)) lines.push(`- ${id}: \`${ls[0].slice(0, 200)}\`${ls.length > 1 ? ` (+${ls.length - 1})` : ''}`);
    lines.push('');
  }
  if (r.core) lines.push(coreMarkdown(r.core));
  return lines.join('\n') + '\n';
}

export function coreMarkdown(core) {
  const lines = ['## Core micro-benchmarks', ''];
  lines.push('Headers per second through the core (newRouter, feedRouter, currentRoute), one interpreter at a time. ' +
    'typical: the 189-byte header in one piece; limit: headers of 8,100 bytes (just under the 8,192-byte limit) in one piece, each the longest non-ASCII JID a JID may have and then one kind of thing the full reader reads piece by piece (bench/core.mjs costliestHeaders); ' +
    'bytewise: the typical header fed the way a proxy feeds a client that sends one byte at a time (the whole buffer ' +
    'so far, one byte longer each call); njs adapter: dist/jidroute.js\'s preread handler itself, fed Buffers by a stand-in session.', '');
  const cases = [...new Set(core.results.map((r) => r.case))];
  const runtimes = [...new Set(core.results.map((r) => r.runtime))];
  lines.push(`| case | ${runtimes.join(' | ')} |`);
  lines.push(`|---|${runtimes.map(() => '--:').join('|')}|`);
  for (const c of cases) {
    const cells = runtimes.map((rt) => {
      const r = core.results.find((e) => e.case === c && e.runtime === rt);
      return r ? `${fmtRate(r.perSecond)}/s (${fmt(r.nsPerByte, 1)} ns/B)` : '–';
    });
    lines.push(`| ${c} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  if (core.linear?.length) {
    lines.push('Linearity: time per input byte as the header grows (the typical header padded with short attributes), whole and byte at a time. ' +
      'Flat rows mean cost linear in the input; byte at a time includes building each prefix, as the proxies do.', '');
    const sizes = [...new Set(core.linear.map((r) => r.size))].sort((a, b) => a - b);
    lines.push(`| runtime, feeding | ${sizes.map((s) => `${s} B`).join(' | ')} | last/first |`);
    lines.push(`|---|${sizes.map(() => '--:').join('|')}|--:|`);
    const keys = [...new Set(core.linear.map((r) => `${r.runtime}, ${r.feed}`))];
    for (const k of keys) {
      const cells = sizes.map((s) => core.linear.find((r) => `${r.runtime}, ${r.feed}` === k && r.size === s));
      const first = cells[0]?.nsPerByte;
      const last = cells[cells.length - 1]?.nsPerByte;
      lines.push(`| ${k} | ${cells.map((c) => (c ? `${fmt(c.nsPerByte, 1)} ns/B` : '–')).join(' | ')} | ${fmt(last / first)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function fmtRate(v) {
  if (!Number.isFinite(v)) return '–';
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return v.toFixed(0);
}

/** Three panels: conn/s at saturation, CPU per connection, and p50/p99
 * latency at the moderate rate. */
export function costSvg(r) {
  const rows = r.rows;
  const rowH = 26;
  const top = 58;
  const labelW = 230;
  const panelW = 270;
  const gap = 40;
  const width = labelW + (panelW + gap) * 3 + 10;
  const height = top + rows.length * rowH + 40;
  const max = (f) => Math.max(...rows.map(f).filter(Number.isFinite), 1e-9);
  const maxConn = max((x) => x.connPerS);
  const maxCpu = max((x) => x.cpuUsPerConn);
  const maxLat = max((x) => x.p99Ms);
  const colour = { plain: '#8c8c8c', floor: '#c9a227', 'floor-read': '#e0c66b', regex: '#c0504d', jidroute: '#2f6db3' };
  const x0 = [labelW, labelW + panelW + gap, labelW + 2 * (panelW + gap)];
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="10" y="18" font-size="14" font-weight="bold">jidroute: cost per connection (${esc(r.machine.date.slice(0, 10))}, nginx ${esc(r.machine.nginx)}, HAProxy ${esc(r.machine.haproxy)}; one core each)</text>`);
  out.push(`<text x="${x0[0]}" y="44" font-weight="bold">conn/s at saturation</text>`);
  out.push(`<text x="${x0[1]}" y="44" font-weight="bold">CPU µs per connection (proxy worker)</text>`);
  out.push(`<text x="${x0[2]}" y="44" font-weight="bold">latency at ${r.options.rate} conn/s: p50 | p99 ms</text>`);
  const bar = (x, y, value, maxValue, c, label, opacity = 1) => {
    const w = Number.isFinite(value) ? (value / maxValue) * (panelW - 70) : 0;
    out.push(`<rect x="${x}" y="${y + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="${c}"${opacity < 1 ? ` opacity="${opacity}"` : ''}/>`);
    if (label !== undefined) out.push(`<text x="${(x + w + 4).toFixed(1)}" y="${y + 15}">${label}</text>`);
    return w;
  };
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    const c = colour[row.variant] || '#555';
    if (i > 0 && row.proxy !== rows[i - 1].proxy) out.push(`<line x1="10" x2="${width - 10}" y1="${y - 1}" y2="${y - 1}" stroke="#ddd"/>`);
    out.push(`<text x="${labelW - 8}" y="${y + 15}" text-anchor="end">${esc(row.label)}</text>`);
    bar(x0[0], y, row.connPerS, maxConn, c, fmt(row.connPerS, 0));
    bar(x0[1], y, row.cpuUsPerConn, maxCpu, c, fmt(row.cpuUsPerConn, 1));
    bar(x0[2], y, row.p99Ms, maxLat, c, `${fmt(row.p50Ms)} | ${fmt(row.p99Ms)}`, 0.35);
    bar(x0[2], y, row.p50Ms, maxLat, c);
  });
  const legendY = top + rows.length * rowH + 22;
  let lx = 10;
  for (const [k, c] of Object.entries(colour)) {
    out.push(`<rect x="${lx}" y="${legendY - 10}" width="12" height="12" fill="${c}"/><text x="${lx + 16}" y="${legendY}">${k}</text>`);
    lx += 95;
  }
  out.push(`<text x="${lx + 20}" y="${legendY}" fill="#555">medians of ${r.options.rounds} rounds; ratios in cost.md</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
