// Differential test against ltx, the XML parser of xmpp.js: on generated
// headers (and mutated ones), wherever both ltx and the core read the stream
// element's start tag, they read the same attribute values.
import t from 'tap';
import { createRequire } from 'node:module';
import { random, randomHeader, mutate } from '../harness/inputs/generate.mjs';
import { core } from '../harness/core.mjs';
import { byteString } from '../harness/vectors.mjs';

const require = createRequire(import.meta.url);
const SaxLtx = require('ltx/lib/parsers/ltx.js');

const SEED = Number(process.env.JIDROUTE_SEED ?? 7622);
const CASES = Number(process.env.JIDROUTE_LTX_CASES ?? 5000);

/** ltx leaves literal white space in attribute values as it is; XML 1.0
 * §3.3.3 (https://www.w3.org/TR/xml/#AVNormalize), which the core follows,
 * makes each a space (a CR LF pair one space), but keeps white space written
 * as a character reference. The one known difference: both answers are
 * compared with white space folded this way. */
const normalise = (value) => value.replace(/\r\n|[\r\n\t]/g, ' ');

/** The first start tag ltx reports: { name, attrs } or undefined. */
function ltxStartTag(bytes) {
  const parser = new SaxLtx();
  let tag;
  parser.on('startElement', (name, attrs) => {
    if (!tag) tag = { name, attrs: Object.fromEntries(Object.entries(attrs).map(([k, v]) => [k, normalise(v)])) };
  });
  try { parser.write(bytes.toString('utf8')); } catch { return undefined; }
  return tag;
}

function coreStartTag(bytes) {
  const scan = core.newHeaderScan(core.DEFAULT_HEADER_LIMIT);
  if (core.scanHeader(scan, byteString(bytes)) !== core.HEADER) return undefined;
  const text = (bytes) => Buffer.from(bytes, 'latin1').toString('utf8');
  const attrs = {};
  for (const name of scan.names) attrs[text(name)] = normalise(text(core.attribute(scan, name)));
  return { name: text(scan.element), attrs };
}

t.test(`core reads what ltx reads (seed ${SEED})`, async (t) => {
  const rng = random(SEED);
  let both = 0;
  let onlyLtx = 0;
  let onlyCore = 0;
  const disagreements = [];
  for (let i = 0; i < CASES; i++) {
    const header = Buffer.from(randomHeader(rng).text, 'utf8');
    const bytes = i % 2 === 0 ? header : mutate(rng, header);
    const fromLtx = ltxStartTag(bytes);
    const fromCore = coreStartTag(bytes);
    if (fromLtx && fromCore) {
      both++;
      if (JSON.stringify(fromLtx) !== JSON.stringify(fromCore)) disagreements.push({ input: bytes.toString(), ltx: fromLtx, core: fromCore });
    } else if (fromLtx) onlyLtx++;
    else if (fromCore) onlyCore++;
  }
  t.ok(both > CASES / 3, `both read the start tag of ${both} of ${CASES} inputs`);
  t.same(disagreements.slice(0, 3), [], `same element name and attribute values wherever both read (${disagreements.length} differ)`);
  // The core refuses more than ltx (namespaces, references, limits): that is
  // by design. It should never read a tag that ltx cannot.
  t.equal(onlyCore, 0, 'no start tag the core reads and ltx does not');
  t.comment(`ltx alone read ${onlyLtx} (the core refuses what XMPP forbids or XML does not allow)`);
});
