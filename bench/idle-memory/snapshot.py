# For bench/idle-memory/run.sh: while the bench runs, keeps the page map
# (/proc/PID/pagemap: which pages are resident) and the maps of every
# process that malloc-trace.c logs for, taken at that process's highest
# resident size (the idle connections all held). Usage: snapshot.py DIR SECONDS
import os, struct, sys, time, glob, pickle, shutil

out, seconds = sys.argv[1], float(sys.argv[2])
best = {}
end = time.time() + seconds
while time.time() < end:
    for log in glob.glob(os.path.join(out, 'log.*')):
        pid = log.rsplit('.', 1)[1]
        try:
            status = open(f'/proc/{pid}/status').read()
            rss = int([l for l in status.splitlines() if l.startswith('VmRSS')][0].split()[1])
            if rss <= best.get(pid, 0):
                continue
            regions = []
            with open(f'/proc/{pid}/pagemap', 'rb') as pm:
                for line in open(f'/proc/{pid}/maps'):
                    f = line.split()
                    if 'rw' not in f[1] or (len(f) >= 6 and f[5].startswith('/')):
                        continue
                    a, b = (int(x, 16) for x in f[0].split('-'))
                    if b - a > 1 << 31:
                        continue
                    pm.seek(a // 4096 * 8)
                    d = pm.read((b - a) // 4096 * 8)
                    bits = bytes((struct.unpack_from('<Q', d, i * 8)[0] >> 63) & 1 for i in range(len(d) // 8))
                    regions.append((a, b, bits))
            shutil.copy(f'/proc/{pid}/maps', os.path.join(out, f'maps.{pid}'))
            pickle.dump((rss, regions), open(os.path.join(out, f'pm.{pid}'), 'wb'))
            best[pid] = rss
        except (OSError, IndexError, ValueError):
            pass
    time.sleep(0.2)
