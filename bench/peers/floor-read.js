// A diagnostic step between the floor and jidroute: wait for the client's
// first bytes (as any module that reads the header must), then do what the
// floor does. What jidroute costs above this is the reading itself.
//
// nginx calls the handler before it has read anything, and the event at once
// with that empty buffer (ngx_stream_core_preread_phase, njs's phase handler):
// a module that reads the header waits for a second call, with the bytes.
function preread(s) {
  s.on('upload', function (data) {
    if (data.length === 0) return;
    s.off('upload');
    s.variables.xmpp_key = s.variables.remote_addr;
    s.done();
  });
}

export default { preread, bare: preread, domain: preread };
