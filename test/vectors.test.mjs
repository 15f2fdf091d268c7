// Every shared vector through the core, whole and split at every byte
// boundary: the answer never depends on how the bytes arrive.
import t from 'tap';
import { loadVectors, byteString, expected } from '../harness/vectors.mjs';
import { route, routeInPieces } from '../harness/core.mjs';

const ADDRESS = '127.0.0.42';
const pick = ({ key, routeBy, from, to }) => ({ key, routeBy, from, to });

for (const file of ['development', 'heldout']) {
  t.test(file, async (t) => {
    const vectors = loadVectors(file);
    t.ok(vectors.length > 20, 'vectors loaded');
    for (const v of vectors) {
      const bytes = byteString(v.bytes);
      const want = expected(v, ADDRESS);
      t.same(pick(route(bytes, { policy: v.policy, address: ADDRESS })), want, `${v.name} (${v.ref})`);
      // Split in two at every boundary, and byte by byte.
      let mismatches = 0;
      const step = bytes.length > 1200 ? 97 : 1;
      for (let cut = 1; cut < bytes.length; cut += step) {
        const got = pick(routeInPieces(bytes, [cut], { policy: v.policy, address: ADDRESS }));
        if (JSON.stringify(got) !== JSON.stringify(want)) mismatches++;
      }
      const everyByte = Array.from({ length: bytes.length }, (_, i) => i);
      t.same(pick(routeInPieces(bytes, everyByte, { policy: v.policy, address: ADDRESS })), want, `${v.name}: byte by byte`);
      t.equal(mismatches, 0, `${v.name}: same answer split anywhere`);
    }
  });
}
