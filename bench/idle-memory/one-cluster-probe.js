// smallest-reader.js without the JID expression (the key is from's text, not
// checked, not lowercased): 15 pages of njs pool against its 17, so its VM
// stays in one 8 KiB cluster. A probe of that threshold, not a reader to use.
var HEADER_SHAPE = /^(?:<\?xml version=(?:'1\.0'|"1\.0")(?: encoding=(?:'(?:UTF|utf)-8'|"(?:UTF|utf)-8"))?\?>[ \t\r\n]*)?<([A-Za-z_][A-Za-z0-9_.-]*):stream(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?[ \t\r\n]*>/;
function preread(s) {
  s.on('upload', function (data) {
    if (data.length === 0) return;
    s.off('upload');
    var key = '';
    var m = HEADER_SHAPE.exec(data);
    if (m !== null) {
      var from = '', to = '', content = '', streams = '';
      for (var k = 2; k < 14; k += 2) {
        var name = m[k];
        if (name === undefined) break;
        if (name === 'from') from = m[k + 1];
        else if (name === 'to') to = m[k + 1];
        else if (name === 'xmlns') content = m[k + 1];
        else if (name === 'xmlns:stream') streams = m[k + 1];
      }
      if ((streams === "'http://etherx.jabber.org/streams'" || streams === '"http://etherx.jabber.org/streams"') &&
          (content === "'jabber:client'" || content === '"jabber:client"')) {
        key = from.length > 2 ? from.slice(1, -1) : '';
      }
    }
    s.variables.xmpp_key = key !== '' ? key : s.variables.remote_addr;
    s.done();
  });
}
export default { preread, bare: preread, domain: preread };
