// The shared vectors (test/vectors.json, test/heldout.json) as byte strings,
// for every test that holds a build to them.
import { readFileSync } from 'node:fs';

export const ADDRESS_PLACEHOLDER = '$addr';

export function loadVectors(file = 'vectors.json') {
  const list = JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'));
  return list.map((v) => ({
    ...v,
    bytes: v.input_hex !== undefined ? Buffer.from(v.input_hex, 'hex') : Buffer.from(v.input, 'utf8'),
  }));
}

/** A byte string (one code unit a byte), the form core/ reads. */
export function byteString(buffer) {
  let out = '';
  for (let i = 0; i < buffer.length; i += 4096) out += String.fromCharCode(...buffer.subarray(i, i + 4096));
  return out;
}

/** The expectation with the client address filled in, as byte strings. */
export function expected(v, address) {
  const e = v.expect;
  const bytes = (s) => byteString(Buffer.from(s, 'utf8'));
  return {
    key: e.key === ADDRESS_PLACEHOLDER ? address : bytes(e.key),
    route_by: e.route_by,
    from: bytes(e.from),
    to: bytes(e.to),
  };
}
