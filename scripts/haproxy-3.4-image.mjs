// Builds jidroute-haproxy:3.4 for compose.yaml's `3.4` profile: HAProxy
// 3.4.0 from ../shared/vendor/haproxy-3.4.0.tar.gz (built once, cached under
// /var/cache/jidroute), in the official haproxy image's layout, with
// dist/jidroute.lua and haproxy/haproxy.cfg. Run `npm run build` first.
import { useDocker } from '../harness/docker.mjs';
import { haproxy34Missing } from '../harness/lines.mjs';

const missing = haproxy34Missing();
if (missing) {
  console.error(missing);
  process.exit(1);
}
const engine = await useDocker({ images: [['haproxy', '3.4']], log: (s) => console.error(s) });
await engine.release();
