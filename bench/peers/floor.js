// The floor for nginx: an njs preread handler that does the least a routing
// module can do (set $xmpp_key, hand the connection on) without reading a
// byte. What jidroute costs above this is what reading the header costs.
function preread(s) {
  s.variables.xmpp_key = s.variables.remote_addr;
  s.done();
}

export default { preread, bare: preread, domain: preread };
