// njs command line: dist/jidroute.js's core and its preread handler under a
// stand-in session. Run by bench/core.mjs with -p pointing at the folder that
// holds jidroute.js (dist/jidroute.js exporting its core too), inputs.js and
// bench-core.js.
import bench from 'bench-core.js';
import jidroute from 'jidroute.js';
import inputs from 'inputs.js';

var core = jidroute;

function now() { return Date.now(); }

/** A stand-in for nginx's stream session: variables, on/off/done. */
function session() {
  var handler;
  var s = {
    variables: { remote_addr: '127.0.0.1', xmpp_policy: '', xmpp_header_limit: '8192', xmpp_header_timeout: '0' },
    on: function (event, f) { handler = f; },
    off: function () { handler = undefined; },
    done: function () { s.finished = true; },
    error: function (m) { throw new Error(m); },
    finished: false,
  };
  s.feed = function (buf) { if (handler) handler(buf, { last: false }); };
  return s;
}

function buffersOf(bytes) {
  var out = [];
  var all = [];
  for (var i = 0; i < bytes.length; i++) all.push(bytes.charCodeAt(i));
  for (var k = 1; k <= bytes.length; k++) out.push(Buffer.from(all.slice(0, k)));
  return out;
}

var only = inputs.only;
var seconds = inputs.seconds;
var out = bench.run(core, inputs, seconds, now, only, 'njs');

function adapter(buffers) {
  var s = session();
  jidroute.preread(s);
  for (var i = 0; i < buffers.length && !s.finished; i++) s.feed(buffers[i]);
  if (!s.finished || !s.variables.xmpp_key) throw new Error('the adapter did not route');
}

if (only.indexOf('typical') >= 0) {
  var whole = [buffersOf(inputs.typical).pop()];
  var ms = bench.msPerCall(function () { adapter(whole); }, seconds, now);
  out.results.push({ runtime: 'njs', case: 'typical, njs adapter', bytes: inputs.typical.length, perSecond: 1000 / ms, nsPerByte: ms * 1e6 / inputs.typical.length });
}
if (only.indexOf('bytewise') >= 0) {
  var each = buffersOf(inputs.typical);
  var ms2 = bench.msPerCall(function () { adapter(each); }, seconds, now);
  out.results.push({ runtime: 'njs', case: 'bytewise, njs adapter', bytes: inputs.typical.length, perSecond: 1000 / ms2, nsPerByte: ms2 * 1e6 / inputs.typical.length });
}
// In pieces: njs's console.log cuts a line at 2,048 bytes.
var text = JSON.stringify(out);
for (var at = 0; at < text.length; at += 1000) console.log('JSON ' + text.substring(at, at + 1000));
