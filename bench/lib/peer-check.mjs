// How often the njs regex peer (bench/peers/regex.js) routes a test vector
// where jidroute does: the "correct where it is not" half of the comparison.
// Its keyOf runs here under Node (the same expressions, JavaScript semantics).
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ROOT } from '../../harness/proxies.mjs';
import { loadVectors, ADDRESS_PLACEHOLDER } from '../../harness/vectors.mjs';

const ADDRESS = '192.0.2.7';

export async function checkRegexPeer() {
  const peer = (await import(pathToFileURL(join(ROOT, 'bench/peers/regex.js')).href)).default;
  const vectors = [...loadVectors('development'), ...loadVectors('heldout')].filter((v) => v.policy === 'bare');
  const wrong = [];
  for (const v of vectors) {
    const text = v.bytes.toString('utf8');
    const key = peer.keyOf(text);
    const got = key ? key : ADDRESS; // as its preread handler does once it stops waiting
    const want = v.expect.key === ADDRESS_PLACEHOLDER ? ADDRESS : v.expect.key;
    if (got !== want) wrong.push({ name: v.name, want, got });
  }
  return { vectors: vectors.length, agree: vectors.length - wrong.length, wrong };
}
