// The TLS ClientHello vectors (test/vectors/tls-hello.md: real hellos from OpenSSL
// and Node, crafted ones) through the core whole, split in two at every byte
// boundary, and byte by byte: the same route however the bytes arrive, and
// decided as soon as the hello's last byte is in (a hello without a name as
// soon as a hello with one).
import t from 'tap';
import { loadVectors, byteString, expected } from '../harness/vectors.mjs';
import { route, routeInPieces } from '../harness/core.mjs';

const ADDRESS = '127.0.0.42';
const pick = ({ key, routeBy, from, to, stream }) => ({ key, routeBy, from, to, stream });
const vectors = loadVectors('tls-hellos');

t.ok(vectors.length >= 80, `${vectors.length} hello vectors loaded`);
for (const shape of ['captured openssl', 'captured node', 'two host names', 'GREASE', 'truncated', 'duplicate', 'longer than its block', 'across records', 'Encrypted Client Hello']) {
  t.ok(vectors.some((v) => v.name.includes(shape)), `a vector for: ${shape}`);
}

for (const v of vectors) {
  t.test(v.name, async (t) => {
    const bytes = byteString(v.bytes);
    const want = { ...expected(v, ADDRESS), stream: v.expect.stream };
    const opts = { policy: v.policy, address: ADDRESS };
    t.same(pick(route(bytes, opts)), want, `${v.ref}`);
    let mismatches = 0;
    const step = bytes.length > 1200 ? 13 : 1;
    for (let cut = 1; cut < bytes.length; cut += step) {
      if (JSON.stringify(pick(routeInPieces(bytes, [cut], opts))) !== JSON.stringify(want)) mismatches++;
    }
    t.equal(mismatches, 0, 'the same route split in two anywhere');
    const everyByte = Array.from({ length: bytes.length }, (_, i) => i);
    const slow = routeInPieces(bytes, everyByte, opts);
    t.same(pick(slow), want, 'byte by byte');
    if (v.decidedAt !== undefined) t.equal(slow.decidedAt, v.decidedAt, `decided at byte ${v.decidedAt}`);
  });
}
