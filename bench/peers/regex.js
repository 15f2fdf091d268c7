// The peer: what a user writes in an afternoon with njs. Wait until the
// start tag has closed, take from='...' with a regular expression, lowercase
// it. It has no notion of XML: it misreads a `from` in another attribute's
// value or under a prefix, entities, a '>' inside a value, ... (bench/README.md
// counts how often on the test vectors).
var STREAM = /<stream:stream[^>]*>/;
var FROM = /\sfrom=['"]([^'"\/]+)/;

function keyOf(text) {
  var tag = text.match(STREAM);
  if (!tag) return undefined;
  var from = tag[0].match(FROM);
  return from ? from[1].toLowerCase() : '';
}

function preread(s) {
  s.on('upstream', function (data, flags) {
    var key = keyOf(data.toString());
    if (key === undefined && data.length < 4096 && !flags.last) return; // wait for more
    s.variables.xmpp_key = key ? key : s.variables.remote_addr;
    s.done();
  });
}

export default { preread, bare: preread, domain: preread, keyOf };
