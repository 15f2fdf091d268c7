// A diagnostic step between the floor and jidroute: wait for the client's
// first bytes (as any module that reads the header must), then do what the
// floor does. What jidroute costs above this is the reading itself.
function preread(s) {
  s.on('upstream', function () {
    s.off('upstream');
    s.variables.xmpp_key = s.variables.remote_addr;
    s.done();
  });
}

export default { preread, bare: preread, domain: preread };
