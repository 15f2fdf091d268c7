// The options read from the proxies' variables: a defined value for every
// input, the default for anything unreadable.
import t from 'tap';
import { core } from '../harness/core.mjs';

t.test('policy', async (t) => {
  t.equal(core.parsePolicy('domain'), 'domain');
  for (const v of [undefined, '', 'bare', 'Domain', 'domain ', 'x']) t.equal(core.parsePolicy(v), 'bare', JSON.stringify(v));
});

t.test('header limit', async (t) => {
  t.equal(core.parseHeaderLimit(undefined), 8192);
  t.equal(core.parseHeaderLimit('4096'), 4096);
  t.equal(core.parseHeaderLimit('10'), 256, 'raised to the minimum');
  t.equal(core.parseHeaderLimit('999999'), 65536, 'lowered to the maximum');
  for (const v of ['', '8k', '-1', '1e4', '9999999', ' 100']) t.equal(core.parseHeaderLimit(v), 8192, JSON.stringify(v));
});

t.test('header timeout', async (t) => {
  t.equal(core.parseHeaderTimeout(undefined), 5000);
  t.equal(core.parseHeaderTimeout('5s'), 5000);
  t.equal(core.parseHeaderTimeout('750ms'), 750);
  t.equal(core.parseHeaderTimeout('3'), 3000, 'bare number: seconds, as nginx reads time');
  t.equal(core.parseHeaderTimeout('0'), 0, 'off');
  t.equal(core.parseHeaderTimeout('99999s'), 600000, 'capped');
  for (const v of ['', 's', 'ms', '5m', '1.5s', 'abc', '-1s']) t.equal(core.parseHeaderTimeout(v), 5000, JSON.stringify(v));
});

t.test('a header limit below a header makes it too long', async (t) => {
  const header = "<stream:stream from='juliet@example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' " + 'x'.repeat(300) + "='1'>";
  const router = core.newRouter('bare', '256');
  t.ok(core.feedRouter(router, header), 'decided at the limit');
  const r = core.currentRoute(router, '127.0.0.1');
  t.same([r.routeBy, r.stream], ['addr', 'too-long']);
  const roomy = core.newRouter('bare', '1024');
  core.feedRouter(roomy, header);
  t.equal(core.currentRoute(roomy, '127.0.0.1').key, 'juliet@example.com');
});
