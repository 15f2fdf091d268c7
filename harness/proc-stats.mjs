// Memory and CPU of a process and every process under it (nginx's master
// and workers, HAProxy's master and worker), from /proc: what a flood or a
// benchmark's load costs a proxy.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields follow the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), utime: Number(fields[11]), stime: Number(fields[12]) };
  } catch {
    return null;
  }
}

/** pid and every descendant that is alive now. */
export function processTree(pid) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const s = stat(name);
    if (!s) continue;
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid).push(Number(name));
  }
  const out = [];
  const walk = (p) => { out.push(p); for (const c of children.get(p) || []) walk(c); };
  walk(pid);
  return out;
}

/** Resident memory of `pid` in KiB (NaN once it is gone). */
export function rssKiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return NaN;
  }
}

/** The process ids whose parent is `pid`. */
export function childrenOf(pid) {
  try {
    const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    if (kids.length) return kids;
  } catch { /* no such file: the kernel does not keep the list */ }
  return processTree(pid).filter((p) => p !== pid && stat(p)?.ppid === pid);
}

/** Resident memory of the tree, in KiB, and per process. */
export function treeRss(pid) {
  const per = processTree(pid).map((p) => ({ pid: p, rssKiB: rssKiB(p) || 0 }));
  return { totalKiB: per.reduce((a, b) => a + b.rssKiB, 0), per };
}

/** CPU time (user + system) used so far by the live processes of the tree, in ms. */
export function treeCpuMs(pid) {
  let ticks = 0;
  for (const p of processTree(pid)) {
    const s = stat(p);
    if (s) ticks += s.utime + s.stime;
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}

/** Samples the tree's RSS every `everyMs` until stop(); keeps the peak. */
export function watchRss(pid, everyMs = 200) {
  const w = { peakKiB: treeRss(pid).totalKiB, samples: 0 };
  const timer = setInterval(() => {
    const now = treeRss(pid).totalKiB;
    w.samples++;
    if (now > w.peakKiB) w.peakKiB = now;
  }, everyMs);
  w.stop = () => { clearInterval(timer); return w.peakKiB; };
  return w;
}
