# A session's njs pool, from njs-pool-trace.c's log: what is still allocated
# when its VM is done, by njs_mp chunk size (16..256 bytes; 257..512 take a
# page; more is a malloc of its own), and the 512-byte pages that takes. One
# 8 KiB cluster holds 16 pages; a 17th opens another cluster.
#   pool-pages.py DIR/mp.*   (the worker's log: the one with the most pools)
import collections, sys

def read(path):
    pools = collections.OrderedDict()
    for line in open(path):
        f = line.split()
        if f[0] == 'C':
            pools[f[1]] = []
        elif f[1] in pools:
            pools[f[1]].append((f[0], int(f[3]), f[4]))
    return pools

pools = max((read(p) for p in sys.argv[1:]), key=len)
# The sessions of the bench all read the same header: take the commonest
# allocation count among pools that ran a handler.
counts = collections.Counter(len(v) for v in pools.values() if len(v) > 40)
n = counts.most_common(1)[0][0]
same = [v for v in pools.values() if len(v) == n]
session = same[min(5, len(same) - 1)]  # one from the middle of the run
live = {}
for op, size, ptr in session:
    if op == 'f':
        live.pop(ptr, None)
    else:
        live[ptr] = size

def chunk(size):
    if size > 512:
        return None
    c = 16
    while c < size:
        c *= 2
    return c

by = collections.Counter(chunk(s) for s in live.values())
pages = 0
for c in sorted(k for k in by if k):
    p = -(-by[c] * c // 512)
    pages += p
    print(f'{c:4d}-byte chunks: {by[c]:3d}  {p:2d} pages')
print(f'own mallocs (> 512 bytes): {by[None]}')
print(f'{pages} pages of 512 bytes ({n} allocations in the session)')
