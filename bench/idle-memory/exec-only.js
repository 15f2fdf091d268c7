// floor-read.js plus jidroute's header expression run once (core/js/recognise.ts
// HEADER_SHAPE), its captures not read: what one match costs on nginx 1.22 /
// njs 0.7.9 (bench/README.md, "Idle memory, allocation by allocation"). A
// probe, not a reader.
var HEADER_SHAPE = /^(?:<\?xml version=(?:'1\.0'|"1\.0")(?: encoding=(?:'(?:UTF|utf)-8'|"(?:UTF|utf)-8"))?\?>[ \t\r\n]*)?<([A-Za-z_][A-Za-z0-9_.-]*):stream(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?(?:[ \t\r\n]+([A-Za-z0-9_.:-]+)=('[ !#-%(-;?-~]*'|"[ !#-%(-;?-~]*"))?[ \t\r\n]*>/;
function preread(s) {
  s.on('upload', function (data) {
    if (data.length === 0) return;
    HEADER_SHAPE.exec(data);
    s.off('upload');
    s.variables.xmpp_key = s.variables.remote_addr;
    s.done();
  });
}

export default { preread, bare: preread, domain: preread };
