# Where a proxy worker's resident memory per idle connection goes, from a run
# of bench/idle-memory/run.sh: the allocations live when the idle connections
# were all held (the peak of live bytes in malloc-trace.c's log), each
# resident page (snapshot.py's page map) shared among the live allocations
# that cover it, by bytes; sites (size and call stack) with about one
# allocation per connection are listed per connection. Resident pages that no
# live allocation covers are memory freed after it was touched.
#   attribute.py DIR [N]              one run (N idle connections, 2000)
#   attribute.py DIR N --against BASE  what DIR has above BASE, site by site
import bisect, collections, glob, os, pickle, subprocess, sys

DEPTH = 4

def worker(d):
    # The worker: the largest log that has a page map.
    logs = sorted(glob.glob(os.path.join(d, 'log.*')), key=os.path.getsize, reverse=True)
    for log in logs:
        pid = log.rsplit('.', 1)[1]
        if os.path.exists(os.path.join(d, f'pm.{pid}')):
            return pid
    sys.exit(f'{d}: no traced process with a page map')

def resolver(maps):
    regions = []
    for line in open(maps):
        f = line.split()
        if len(f) >= 6 and f[5].startswith('/'):
            a, b = (int(x, 16) for x in f[0].split('-'))
            regions.append((a, b, int(f[2], 16), f[5]))
    tables, cache = {}, {}
    def table(path):
        if path not in tables:
            out = subprocess.run(['nm', '-D', '--defined-only', path], capture_output=True, text=True).stdout
            rows = sorted((int(l.split()[0], 16), l.split()[2]) for l in out.splitlines()
                          if len(l.split()) == 3 and l.split()[1] in 'TtWw')
            tables[path] = ([r[0] for r in rows], [r[1] for r in rows])
        return tables[path]
    def name(addr):
        if addr not in cache:
            cache[addr] = '?'
            for a, b, off, path in regions:
                if a <= addr < b:
                    o = addr - a + off
                    starts, names = table(path)
                    i = bisect.bisect_right(starts, o) - 1
                    # Exported names only: a static function shows as the
                    # exported one before it, plus an offset.
                    cache[addr] = '%s:%s+%x' % (os.path.basename(path), names[i] if i >= 0 else '', o - (starts[i] if i >= 0 else 0))
                    break
        return cache[addr]
    return name

def sites(d, n):
    pid = worker(d)
    log = os.path.join(d, f'log.{pid}')
    name = resolver(os.path.join(d, f'maps.{pid}'))
    # First pass: the sequence number at the peak of live bytes.
    live, total, peak, peak_seq = {}, 0, 0, 0
    for line in open(log):
        f = line.split()
        op, seq, ptr, size, old = f[0], int(f[1]), int(f[2], 16), int(f[3]), int(f[4], 16)
        if op == 'f':
            total -= live.pop(ptr, 0)
            continue
        if op == 'r':
            total -= live.pop(old, 0)
        live[ptr] = size
        total += size
        if total > peak:
            peak, peak_seq = total, seq
    # Second pass: the live set at the peak.
    live = {}
    for line in open(log):
        f = line.split()
        op, seq, ptr, size, old = f[0], int(f[1]), int(f[2], 16), int(f[3]), int(f[4], 16)
        if seq > peak_seq:
            break
        if op == 'f':
            live.pop(ptr, None)
            continue
        if op == 'r':
            live.pop(old, None)
        live[ptr] = (size, tuple(int(x, 16) for x in f[5:5 + DEPTH]))
    rss, regions = pickle.load(open(os.path.join(d, f'pm.{pid}'), 'rb'))
    resident = set()
    for a, b, bits in regions:
        resident.update(a // 4096 + i for i, v in enumerate(bits) if v)
    owners = collections.defaultdict(list)
    for ptr, (size, stack) in live.items():
        s, e = ptr - 16, ptr + size  # with malloc's chunk header
        for page in range(s // 4096, (e - 1) // 4096 + 1):
            if page in resident:
                owners[page].append((ptr, min(e, (page + 1) * 4096) - max(s, page * 4096)))
    key = lambda ptr: (live[ptr][0], ' < '.join(name(a) for a in live[ptr][1]))
    bytes_at, count = collections.defaultdict(float), collections.Counter(key(p) for p in live)
    for page, own in owners.items():
        covered = sum(b for _, b in own)
        for ptr, b in own:
            bytes_at[key(ptr)] += 4096.0 * b / covered
    unowned = len(resident) - len(owners)
    per_conn = {k: v / n for k, v in bytes_at.items() if count[k] >= 0.9 * n}
    return rss, per_conn, unowned * 4096.0 / n, count

def main():
    d = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    rss, a, un, count = sites(d, n)
    if '--against' not in sys.argv:
        print(f'worker resident at the snapshot: {rss} KiB; per connection, by allocation site:')
        for k, v in sorted(a.items(), key=lambda kv: -kv[1]):
            print('%8.0f B  %6d B x %d  %s' % (v, k[0], count[k], k[1]))
        print('%8.0f B  resident, no live allocation' % un)
        print('total %.2f KiB per connection' % ((sum(a.values()) + un) / 1024))
        return
    _, b, ub, _ = sites(sys.argv[sys.argv.index('--against') + 1], n)
    total = 0.0
    for k in sorted(set(a) | set(b), key=lambda k: -(a.get(k, 0) - b.get(k, 0))):
        diff = a.get(k, 0) - b.get(k, 0)
        total += diff
        if abs(diff) >= 50:
            print('%+7.0f B  %6d B  %s' % (diff, k[0], k[1]))
    print('%+7.0f B  resident, no live allocation' % (un - ub))
    print('total %+.2f KiB per connection' % ((total + un - ub) / 1024))

main()
