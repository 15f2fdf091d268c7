// The JavaScript builds read a common header whole with one regular
// expression (core/fast-header.regexp.ts) before the byte-by-byte reader; both
// must give the same answer on every input, and the shortcut must serve the
// headers real clients send.
import t from 'tap';
import { core } from './lib/core.mjs';
import { loadVectors, byteString } from './lib/vectors.mjs';
import { random, randomHeader, mutate } from './lib/generate.mjs';

const SEED = Number(process.env.JIDROUTE_SEED ?? 3920);
const CASES = Number(process.env.JIDROUTE_FAST_CASES ?? 20000);

/** A header as most clients write it: ASCII, no references, '=' bare. */
function plainHeader(rng) {
  const chars = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+@/:  >';
  const word = (n) => Array.from({ length: 1 + rng.int(n) }, () => rng.pick([...chars])).join('');
  const attrs = [
    ['from', `${word(10)}@${word(8)}.example${rng.chance(0.3) ? '/' + word(6) : ''}`],
    ['to', `${word(8)}.Example${rng.chance(0.1) ? '.' : ''}`],
    ['xmlns', rng.pick(['jabber:client', 'jabber:server', 'jabber:component:accept', 'jabber:other'])],
    [`xmlns:${rng.pick(['stream', 'stream', 's'])}`, rng.chance(0.95) ? 'http://etherx.jabber.org/streams' : 'urn:x'],
    ['version', '1.0'],
    ['xml:lang', 'en'],
  ].filter(() => rng.chance(0.85));
  if (rng.chance(0.05)) attrs.push(['from', 'dup@example.com']);
  attrs.sort(() => rng.next() - 0.5);
  const prefix = attrs.find(([n]) => n.startsWith('xmlns:'))?.[0].slice(6) ?? 'stream';
  const q = () => rng.pick(["'", '"']);
  const list = attrs.map(([n, v]) => { const quote = q(); return `${rng.pick([' ', ' ', '\n', '\t'])}${n}=${quote}${v}${quote}`; }).join('');
  const decl = rng.pick(['', "<?xml version='1.0'?>", '<?xml version="1.0" encoding="UTF-8"?>', "<?xml version='1.0' ?>"]);
  return `${decl}<${prefix}:stream${list}${rng.pick(['>', ' >', '/>'])}${rng.chance(0.2) ? '<starttls/>' : ''}`;
}

/** The route through the shortcut (when it reads the header), and through the byte-by-byte reader alone. */
function bothWays(bytes, policy) {
  const fast = core.newHeaderScan(core.DEFAULT_HEADER_LIMIT);
  const took = core.readWholeHeader(fast, bytes) !== core.MORE;
  const slow = core.newHeaderScan(core.DEFAULT_HEADER_LIMIT);
  core.scanHeader(slow, bytes);
  const pick = (r) => JSON.stringify([r.key, r.routeBy, r.from, r.to, r.stream]);
  return { took, fast: took ? pick(core.routeHeader(fast, policy, '127.0.0.1')) : null, slow: pick(core.routeHeader(slow, policy, '127.0.0.1')) };
}

t.test('shortcut and byte-by-byte reader agree', async (t) => {
  const rng = random(SEED);
  const inputs = [...loadVectors('development'), ...loadVectors('heldout')].map((v) => ({ bytes: byteString(v.bytes), policy: v.policy }));
  for (let i = 0; i < CASES; i++) {
    const header = Buffer.from(i % 2 ? randomHeader(rng).text : plainHeader(rng), 'utf8');
    inputs.push({ bytes: byteString(rng.chance(0.5) ? header : mutate(rng, header)), policy: rng.chance(0.5) ? 'bare' : 'domain' });
  }
  let took = 0;
  const differ = [];
  for (const input of inputs) {
    const r = bothWays(input.bytes, input.policy);
    if (!r.took) continue;
    took++;
    if (r.fast !== r.slow) differ.push({ input: input.bytes, fast: r.fast, slow: r.slow });
  }
  t.ok(took > 1000, `the shortcut read ${took} of ${inputs.length} inputs`);
  t.same(differ.slice(0, 3), [], `same route either way (${differ.length} differ)`);
});

t.test('the shortcut reads the headers clients send', async (t) => {
  const headers = [
    "<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>",
    "<?xml version='1.0'?><stream:stream from='juliet@example.com' to='example.com' xml:lang='en' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>",
    '<stream:stream xmlns="jabber:client" xmlns:stream="http://etherx.jabber.org/streams" to="example.com" version="1.0">',
    "<?xml version='1.0' encoding='UTF-8'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xmlns='jabber:server' xmlns:db='jabber:server:dialback' to='example.com' from='example.net' version='1.0'>",
  ];
  for (const h of headers) t.ok(bothWays(h, 'bare').took, h.slice(0, 60));
});

t.test('only the first bytes are offered to the shortcut', async (t) => {
  const header = "<stream:stream from='juliet@example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
  const router = core.newRouter('bare');
  t.notOk(core.feedRouter(router, header.slice(0, 20)), 'a piece decides nothing');
  t.ok(router.triedWhole, 'the shortcut has had its one try');
  t.ok(core.feedRouter(router, header), 'the byte-by-byte reader finishes the header');
  t.equal(core.currentRoute(router, '127.0.0.1').key, 'juliet@example.com');
});
