// The smallest reader of the header measured on nginx 1.22 / njs 0.7.9
// (bench/README.md, "Idle memory, allocation by allocation"): jidroute's two
// expressions (core/js/recognise.ts), the streams and client namespaces
// checked, from/to as ASCII JIDs lowercased natively, the key set. No full
// reader behind it, no Route object, other attributes not checked: a
// measurement, not a router. Run it in jidroute's place:
//   node bench/cost.mjs --configs nginx-jidroute-bare --njs-module bench/idle-memory/smallest-reader.js ...
var HEADER_SHAPE = /^(?:<\?xml version=(?:'1\.0'|"1\.0")(?: encoding=(?:'(?:UTF|utf)-8'|"(?:UTF|utf)-8"))?\?>[ \t\r\n]*)?<([A-Za-z_][A-Za-z0-9_.-]*):stream(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?[ \t\r\n]*>/;
var ASCII_JIDS = /^(?:['"]((?:[!#-%(-.0-9;?A-~]+@)?([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*))\.?(?:\/[ !#-%(-;?-~]+)?['"]|['"]['"])?\n(?:['"](?:([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)\.?)?['"])?$/;
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
        var j = ASCII_JIDS.exec((from + '\n' + to).toLowerCase());
        if (j !== null) key = j[1] !== undefined && j[1].length !== j[2].length && (j[3] === undefined || j[2] === j[3]) ? j[1] : (j[3] || '');
      }
    }
    s.variables.xmpp_key = key !== '' ? key : s.variables.remote_addr;
    s.done();
  });
}
export default { preread, bare: preread, domain: preread };
