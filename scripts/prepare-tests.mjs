#!/usr/bin/env node
// Makes what the tests take from the network or from a long build, all at
// once: the release lines' Debian roots and the HAProxy 3.4 build
// (harness/lines.mjs), the Docker base images and images (harness/docker.mjs).
// scripts/test.sh starts it in the background while the tests that need none
// of it run: debootstrap and apt mostly wait on the network, so on a cold
// machine this costs little beyond its share of the CPU. On a warm machine it
// finds everything there and ends in seconds. Each part takes a lock, so a
// test that needs a part before it is done waits for it, never builds it twice.
import { prepareLines, haproxy34Missing } from '../harness/lines.mjs';
import { GENERATIONS, useDocker } from '../harness/docker.mjs';

const started = Date.now();
const log = (s) => console.error(`# prepare: ${s}`);
const seconds = () => ((Date.now() - started) / 1000).toFixed(0);

// What docker-routing, docker-compose and release build (the same images,
// so their own useDocker calls find them and only rerun the cached layers).
const images = Object.keys(GENERATIONS).flatMap((g) => [['nginx', g], ['haproxy', g]]);
if (!haproxy34Missing()) images.push(['haproxy', '3.4']);
images.push(['release-test', 'bookworm']);

async function dockerPart() {
  if (process.env.JIDROUTE_SKIP_DOCKER) return 'skipped (JIDROUTE_SKIP_DOCKER)';
  const engine = await useDocker({ images, log });
  await engine.release();
  return `${images.length} images in ${seconds()} s`;
}

const results = await Promise.allSettled([
  prepareLines(log).then((s) => `release lines in ${s.toFixed(0)} s`),
  dockerPart(),
]);
let failed = false;
for (const r of results) {
  if (r.status === 'fulfilled') log(r.value);
  else { failed = true; log(`failed: ${r.reason?.stack || r.reason}`); }
}
log(`done in ${seconds()} s`);
process.exit(failed ? 1 : 0);
