// The real HAProxy (Lua) with haproxy/haproxy.cfg and dist/jidroute.lua.
import t from 'tap';
import { prepareHaproxy, startProxy } from '../harness/proxies.mjs';
import { routingSuite } from './lib/routing-suite.mjs';

routingSuite(t, {
  kind: 'haproxy',
  delayMs: 5000, // tcp-request inspect-delay in haproxy/haproxy.cfg
  prepare: () => prepareHaproxy(),
  start: (prepared) => startProxy(prepared),
});
