// Timing loops shared by Node and the njs command-line interpreter (so: the
// syntax njs 0.7.9 reads). `core` has newRouter/feedRouter/currentRoute;
// `now` returns milliseconds.

/** Milliseconds per call of fn, over at least `seconds`, in doubling batches
 * so that reading the clock costs little. */
function msPerCall(fn, seconds, now) {
  var calls = 0;
  var batch = 1;
  var t0 = now();
  var elapsed = 0;
  while (elapsed < seconds * 1000) {
    for (var i = 0; i < batch; i++) fn();
    calls += batch;
    batch = batch * 2;
    elapsed = now() - t0;
  }
  return elapsed / calls;
}

function routeWhole(core, bytes) {
  var r = core.newRouter('bare', undefined);
  core.feedRouter(r, bytes);
  return core.currentRoute(r, '127.0.0.1');
}

function routePrefixes(core, prefixes) {
  var r = core.newRouter('bare', undefined);
  for (var i = 0; i < prefixes.length; i++) {
    if (core.feedRouter(r, prefixes[i])) break;
  }
  return core.currentRoute(r, '127.0.0.1');
}

function prefixesOf(bytes) {
  var out = [];
  for (var k = 1; k <= bytes.length; k++) out.push(bytes.substring(0, k));
  return out;
}

/** inputs: { typical, limits: { shape: bytes }, linear: { size: bytes } } as byte strings.
 * only: which measurements ('typical,limit,bytewise,linear'). */
function run(core, inputs, seconds, now, only, runtime) {
  var out = { results: [], linear: [] };
  function want(name) { return only.indexOf(name) >= 0; }
  function add(name, bytes, ms) {
    out.results.push({ runtime: runtime, case: name, bytes: bytes, perSecond: 1000 / ms, nsPerByte: ms * 1e6 / bytes });
  }
  var typical = inputs.typical;
  if (want('typical')) add('typical', typical.length, msPerCall(function () { routeWhole(core, typical); }, seconds, now));
  if (want('limit')) {
    var shapes = Object.keys(inputs.limits);
    for (var l = 0; l < shapes.length; l++) {
      var limit = inputs.limits[shapes[l]];
      add('limit: ' + shapes[l], limit.length, msPerCall(function () { routeWhole(core, limit); }, seconds, now));
    }
  }
  if (want('bytewise')) {
    var pre = prefixesOf(typical);
    add('bytewise', typical.length, msPerCall(function () { routePrefixes(core, pre); }, seconds, now));
  }
  if (want('linear')) {
    var sizes = Object.keys(inputs.linear);
    for (var s = 0; s < sizes.length; s++) {
      var bytes = inputs.linear[sizes[s]];
      var whole = msPerCall(function () { routeWhole(core, bytes); }, seconds / 2, now);
      out.linear.push({ runtime: runtime, feed: 'whole', size: bytes.length, nsPerByte: whole * 1e6 / bytes.length });
      var prefixes = prefixesOf(bytes);
      var each = msPerCall(function () { routePrefixes(core, prefixes); }, seconds / 2, now);
      out.linear.push({ runtime: runtime, feed: 'byte at a time, core', size: bytes.length, nsPerByte: each * 1e6 / bytes.length });
      var building = msPerCall(function () { prefixesOf(bytes); }, seconds / 4, now);
      out.linear.push({ runtime: runtime, feed: 'byte at a time, building the prefixes', size: bytes.length, nsPerByte: building * 1e6 / bytes.length });
      prefixes = null;
    }
  }
  return out;
}

export default { run, msPerCall };
