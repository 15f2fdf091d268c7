// Each platform's recogniser (core/js/recognise.ts for njs, core/lua/recognise.ts
// for HAProxy) reads the common header in one native step and decides the
// route itself; everything else goes to the full reader (core/header.ts).
// Held here to the full reader's answers: the headers real clients send
// (test/vectors/client-shapes.md) must all take the recogniser on both platforms,
// and on generated, mutated and real-client headers (JIDROUTE_RECOGNISER_CASES,
// 100,000 by default) the recogniser, wherever it decides, gives the answer
// the full reader gives, in JavaScript and in lua5.3 and lua5.4.
import t from 'tap';
import { core } from '../harness/core.mjs';
import { loadVectors, byteString, expected } from '../harness/vectors.mjs';
import { random, randomHeader, mutate } from '../harness/inputs/generate.mjs';
import { routeJs as routeCase, answerLine, luaAnswers } from '../harness/builds.mjs';

const SEED = Number(process.env.JIDROUTE_SEED ?? 3920);
const CASES = Number(process.env.JIDROUTE_RECOGNISER_CASES ?? 100000);
const ADDRESS = '192.0.2.1';
const SHAPES = loadVectors('client-shapes').map((v) => ({ ...v, input: v.bytes.toString('utf8') }));
const STREAMS = 'http://etherx.jabber.org/streams';

/** The JavaScript build: the route and whether the recogniser gave it. */
function routeJs(bytes, policy, reader) {
  const r = routeCase({ bytes: Buffer.from(bytes, 'latin1'), policy, address: ADDRESS, cuts: [], reader }, bytes);
  return { took: r.took, answer: answerLine(r) };
}

/** The Lua build, each input with the recogniser and with the full reader
 * alone: [{ took, answer, full }]. */
function routeLua(interpreter, inputs) {
  const cases = inputs.flatMap(({ bytes, policy }) => ['recogniser', 'full'].map((reader) => ({ bytes: Buffer.from(bytes, 'latin1'), policy, address: ADDRESS, cuts: [], reader })));
  const answers = luaAnswers(interpreter, cases);
  const out = [];
  for (let i = 0; i + 1 < answers.length; i += 2) out.push({ took: answers[i].took, answer: answers[i].answer, full: answers[i + 1].answer });
  return out;
}

// ------------------------------------------------------------- inputs

const LOCAL = [...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', ...'._-+!#$%()*,;?[]^`{|}~\\'];
const RESOURCE = [...LOCAL, ' ', '@', '/', ':', '='];
// '' makes an empty label ('a..b', '.a', 'a.'): no domain, for either reader,
// also where `to` repeats the domain of `from`.
const LABELS = ['example', 'Example', 'EXAMPLE', 'tenant-a', 'Tenant-B', 'xn--bcher-kva', 'com', 'org', 'im', 'a', '127', '0', '-x', ''];

/** A header as a client would write it, after one of the real shapes:
 * the same attributes in a random order, other JIDs, quotes and spacing;
 * about every third one with one change a recogniser must notice. */
function clientLike(rng) {
  const word = (alphabet, n) => Array.from({ length: 1 + rng.int(n) }, () => rng.pick(alphabet)).join('');
  const domain = () => Array.from({ length: 1 + rng.int(3) }, () => rng.pick(LABELS)).join('.') + (rng.chance(0.05) ? '.' : '');
  const odd = rng.chance(0.35) ? rng.int(12) : -1;
  const to = domain();
  const prefix = rng.pick(['stream', 'stream', 'stream', 's', 'x_1']);
  const attrs = [];
  if (odd !== 0) attrs.push(['to', odd === 1 ? rng.pick([`${word(LOCAL, 6)}@${to}`, to + '/r', '', '[::1]', to + '..', '.' + to]) : to]);
  if (rng.chance(0.6)) {
    let from = `${word(LOCAL, 12)}@${rng.chance(0.8) ? to : domain()}`;
    if (rng.chance(0.1)) from = domain();
    if (rng.chance(0.3)) from += '/' + word(RESOURCE, 10);
    if (odd === 2) from = rng.pick(['@' + to, from + '/', from.replace('@', '@@'), from + '..', 'a b@' + to, `${word(LOCAL, 4)}@[::1]`]);
    attrs.push(['from', from]);
  }
  attrs.push(['xmlns', odd === 3 ? rng.pick(['jabber:clientx', 'urn:x', '', 'http://etherx.jabber.org/streams']) : rng.pick(['jabber:client', 'jabber:client', 'jabber:client', 'jabber:server', 'jabber:component:accept'])]);
  attrs.push([`xmlns:${prefix}`, odd === 4 ? rng.pick(['', STREAMS + '/', 'urn:x']) : STREAMS]);
  if (rng.chance(0.8)) attrs.push(['version', rng.pick(['1.0', '1.0', '0.9', ''])]);
  if (rng.chance(0.5)) attrs.push(['xml:lang', rng.pick(['en', 'de-CH', 'fr', ''])]);
  if (rng.chance(0.1)) attrs.push(['id', rng.pick(['', 'abc', 'x y'])]);
  if (rng.chance(0.1)) attrs.push(['xmlns:db', 'jabber:server:dialback']);
  if (odd === 5) {
    attrs.push([rng.pick(['xmlns:db', 'xmlns:' + prefix, 'from', 'to', 'version', 'xml:lang', 'id', 'xmlns', 'foo', 'p:x', 'xml:space', 'xmlns:', 'xmlns:1']),
      rng.pick(['jabber:server:dialback', 'x', '', 'juliet@example.com', STREAMS])]);
  }
  for (let i = attrs.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [attrs[i], attrs[j]] = [attrs[j], attrs[i]];
  }
  // About every third one tidy, as most clients write theirs: one space
  // between attributes and `to` right after `from` (the Lua recogniser's
  // shortest path, core/lua/recognise.ts).
  const tidy = rng.chance(0.3);
  const at = (name) => attrs.findIndex(([n]) => n === name);
  if (tidy && at('from') >= 0 && at('to') >= 0) attrs.splice(at('from') + 1, 0, attrs.splice(at('to'), 1)[0]);
  const quote = rng.chance(0.5) ? "'" : '"';
  const space = () => tidy ? ' ' : rng.pick([' ', ' ', ' ', '  ', '\n', '\n ', '\t', '\r\n']);
  let s = rng.pick(['', '', "<?xml version='1.0'?>", '<?xml version="1.0"?>', "<?xml version='1.0' encoding='UTF-8'?>", '<?xml version="1.0" encoding="utf-8"?>']);
  if (odd === 6) s = rng.pick(["<?xml version='1.0' encoding='utf8'?>", "<?xml version='1.0' ?>", "<?xml version='1.1'?>", "<?xml version='1.0' standalone='yes'?>", '\ufeff', ' ', "<?xml version='1.0'>"]);
  if (s && rng.chance(0.2)) s += rng.pick(['\n', ' ', '\r\n']);
  s += odd === 7 ? rng.pick(['<stream', `<${prefix}:streams`, `<:stream`, `<${prefix}:stream:x`]) : `<${prefix}:stream`;
  attrs.forEach(([name, value], k) => {
    const q = odd === 8 && k === 0 ? (quote === "'" ? '"' : "'") : quote;
    s += `${odd === 9 && k === 0 ? '' : space()}${name}${odd === 10 && k === 0 ? ' = ' : '='}${quote}${value}${q}`;
  });
  s += odd === 11 ? rng.pick(['/>', '', ' /', '>'.repeat(2)]) : rng.pick(['>', '>', '>', ' >', '\n>']);
  if (rng.chance(0.2)) s += rng.pick(['<starttls/>', '\n', '<auth/>']);
  return s;
}

function inputs() {
  const rng = random(SEED);
  const list = [];
  for (const v of [...loadVectors('development'), ...loadVectors('heldout')]) list.push({ bytes: byteString(v.bytes), policy: v.policy ?? 'bare' });
  for (const s of SHAPES) list.push({ bytes: byteString(Buffer.from(s.input, 'utf8')), policy: s.policy });
  // The Lua recogniser's shortest path (core/lua/recognise.ts: the attributes
  // it finds fill the tag) with JIDs both readers must refuse or read alike.
  const tidy = (from, to, q) => `<?xml version='1.0'?><stream:stream from=${q}${from}${q} to=${q}${to}${q} xmlns=${q}jabber:client${q} ` +
    `xmlns:stream=${q}${STREAMS}${q} version=${q}1.0${q} xml:lang=${q}en${q}>`;
  for (const [from, to] of [['u@a..example', 'a..example'], ['u@example.', 'example.'], ['u@.example', '.example'], ['u@-a.example', '-a.example'],
    ['u@example.com', 'example.com'], ['U@Example.com', 'Example.com'], ['u@example.com/r', 'example.com'], ['u@example.com', 'example.org']]) {
    for (const q of ["'", '"']) for (const policy of ['bare', 'domain']) list.push({ bytes: byteString(Buffer.from(tidy(from, to, q), 'utf8')), policy });
  }
  while (list.length < CASES) {
    // Generated headers of every kind (mostly the full reader's), the real
    // shapes with a few bytes changed, and headers like the clients' (some
    // changed).
    const kind = rng.int(5);
    let header;
    if (kind === 0) header = Buffer.from(randomHeader(rng).text, 'utf8');
    else if (kind === 1) header = Buffer.from(rng.pick(SHAPES).input, 'utf8');
    else header = Buffer.from(clientLike(rng), 'utf8');
    const bytes = rng.chance(kind === 1 ? 0.95 : kind === 0 ? 0.4 : 0.15) ? mutate(rng, header) : header;
    list.push({ bytes: byteString(bytes), policy: rng.chance(0.5) ? 'bare' : 'domain' });
  }
  return list;
}

// ------------------------------------------------------------- tests

t.test('the headers real clients send take the recogniser, on both platforms, with the full reader\'s answer', async (t) => {
  const list = SHAPES.map((s) => ({ bytes: byteString(Buffer.from(s.input, 'utf8')), policy: s.policy }));
  const lua = { 'lua5.3': routeLua('lua5.3', list), 'lua5.4': routeLua('lua5.4', list) };
  SHAPES.forEach((s, i) => {
    const want = expected(s, ADDRESS);
    const js = routeJs(list[i].bytes, s.policy);
    const full = routeJs(list[i].bytes, s.policy, 'full');
    const wanted = answerLine({ ...want, stream: s.expect.stream });
    t.ok(js.took, `njs recogniser: ${s.name} (${s.policy})`);
    t.equal(js.answer, wanted, `njs: the expected route (${s.name}, ${s.policy})`);
    t.equal(full.answer, wanted, `full reader: the expected route (${s.name}, ${s.policy})`);
    for (const [interpreter, answers] of Object.entries(lua)) {
      t.ok(answers[i].took, `${interpreter} recogniser: ${s.name} (${s.policy})`);
      t.equal(answers[i].answer, wanted, `${interpreter}: the expected route (${s.name}, ${s.policy})`);
    }
  });
});

t.test(`the recogniser gives the full reader's answer wherever it decides (${CASES} inputs, seed ${SEED})`, async (t) => {
  const list = inputs();
  t.ok(list.length >= CASES, `${list.length} inputs`);
  let took = 0;
  const differ = [];
  const full = [];
  for (const input of list) {
    const fast = routeJs(input.bytes, input.policy);
    const slow = routeJs(input.bytes, input.policy, 'full');
    full.push(slow.answer);
    if (!fast.took) continue;
    took++;
    if (fast.answer !== slow.answer) differ.push({ input: input.bytes, policy: input.policy, recogniser: fast.answer, full: slow.answer });
  }
  t.ok(took > list.length / 5, `njs's recogniser decided ${took} of ${list.length}`);
  t.same(differ.slice(0, 3), [], `JavaScript: the same route either way (${differ.length} differ)`);
  for (const interpreter of ['lua5.3', 'lua5.4']) {
    const answers = routeLua(interpreter, list);
    t.equal(answers.length, list.length, `${interpreter} answered every input`);
    let luaTook = 0;
    const luaDiffer = [];
    answers.forEach((a, i) => {
      if (a.full !== full[i]) luaDiffer.push({ input: list[i].bytes, policy: list[i].policy, lua: a.full, js: full[i], what: 'full readers' });
      if (!a.took) return;
      luaTook++;
      if (a.answer !== a.full) luaDiffer.push({ input: list[i].bytes, policy: list[i].policy, recogniser: a.answer, full: a.full });
    });
    t.ok(luaTook > list.length / 5, `${interpreter}'s recogniser decided ${luaTook} of ${list.length}`);
    t.same(luaDiffer.slice(0, 3), [], `${interpreter}: the same route either way, and the full readers agree (${luaDiffer.length} differ)`);
  }
});

t.test('only the first bytes are offered to the recogniser', async (t) => {
  const header = "<stream:stream from='juliet@example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
  const router = core.newRouter('bare');
  t.notOk(core.feedRouter(router, header.slice(0, 20)), 'a piece decides nothing');
  t.ok(router.offered, 'the recogniser has had its one try');
  t.ok(core.feedRouter(router, header), 'the full reader finishes the header');
  t.notOk(core.recognised(router), 'and it was the full reader');
  t.equal(core.currentRoute(router, '127.0.0.1').key, 'juliet@example.com');
});

t.test('a header over the limit or over the recogniser\'s length is the full reader\'s', async (t) => {
  const long = `<stream:stream from='${'a'.repeat(1000)}@example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;
  const r = core.newRouter('bare', '65536');
  t.ok(core.feedRouter(r, long));
  t.notOk(core.recognised(r), 'longer than the recogniser reads');
  t.equal(core.currentRoute(r, ADDRESS).routeBy, 'from');
  const limited = core.newRouter('bare', '256');
  const header = `<stream:stream from='${'b'.repeat(200)}@example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;
  core.feedRouter(limited, header);
  t.notOk(core.recognised(limited), 'longer than the header limit');
  t.equal(core.currentRoute(limited, ADDRESS).stream, 'too-long');
});

// Past the limit, the recogniser measures the tag (with its XML declaration,
// when there is one) against it, not the bytes that follow: a tag that fits is
// the recogniser's, one byte more is too long.
t.test('the tag against the limit, with and without an XML declaration, when more bytes follow', async (t) => {
  const decl = "<?xml version='1.0'?>";
  const tag = (n) => `<stream:stream from='${'c'.repeat(n)}@example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;
  const after = '<x>' + 'y'.repeat(400);
  for (const prefix of ['', decl, decl + '\n']) {
    // The tag (with the declaration) exactly 256 bytes, then 256 bytes, then 257.
    const fill = 256 - tag(0).length - prefix.length;
    for (const [extra, within] of [[0, true], [1, false]]) {
      const header = prefix + tag(fill + extra);
      const what = `${prefix ? 'declaration, ' : ''}${header.length}-byte tag, limit 256, more bytes after`;
      const r = core.newRouter('bare', '256');
      t.ok(core.feedRouter(r, header + after), `${what}: decided`);
      t.equal(core.recognised(r), within, `${what}: ${within ? 'the recogniser' : 'the full reader'}`);
      const route = core.currentRoute(r, ADDRESS);
      t.equal(route.stream, within ? 'client' : 'too-long', `${what}: ${within ? 'routed' : 'too long'}`);
      if (within) t.equal(route.key, `${'c'.repeat(fill + extra)}@example.com`, `${what}: keyed on from`);
    }
  }
});
