// The real nginx (stream + njs) with njs/nginx.conf and dist/jidroute.js.
import t from 'tap';
import { prepareNginx, startProxy, njsTimersResumePreread } from '../harness/proxies.mjs';
import { routingSuite } from './lib/routing-suite.mjs';

routingSuite(t, {
  kind: 'nginx',
  delayMs: 10000, // preread_timeout in njs/nginx.conf
  cutShortForwards: njsTimersResumePreread(),
  prepare: () => prepareNginx(),
  start: (prepared) => startProxy(prepared),
});
