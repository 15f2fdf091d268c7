// The smallest variant: the callback only clears its own timer. With
// `js_import main from clear-only.js;` one connection crashes the worker:
//   node client.mjs 1 15222 800
function preread(s) {
    var t;
    s.on('upstream', function () {
        if (t === undefined) {
            t = setTimeout(function () { clearTimeout(t); }, 500);
        }
    });
}
export default { preread };
