// The population `moves --generate N` places: the social accounts of the
// affinity simulation (bench/affinity.mjs): user<i>@social<d>.example on 50
// domains whose sizes go as 1/rank.
export function zipfSizes(count, total) {
  const w = Array.from({ length: count }, (_, i) => 1 / (i + 1));
  const sum = w.reduce((a, b) => a + b, 0);
  const sizes = w.map((x) => Math.max(1, Math.floor((x / sum) * total)));
  let left = total - sizes.reduce((a, b) => a + b, 0);
  for (let i = 0; left > 0; i = (i + 1) % count, left--) sizes[i]++;
  // Fewer accounts than domains need: the largest give some back.
  for (let i = 0; left < 0; i = (i + 1) % count) if (sizes[i] > 1) { sizes[i]--; left++; }
  return sizes;
}

export function generatedAccounts(n, domains = 50) {
  const out = [];
  zipfSizes(Math.max(1, Math.min(domains, n)), n).forEach((size, d) => {
    for (let i = 0; i < size; i++) out.push(`user${out.length}@social${d + 1}.example`);
  });
  return out;
}
