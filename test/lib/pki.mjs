// A throw-away certificate authority for the end-to-end tests and the demo,
// made with the openssl command line each run: nothing is committed, nothing
// outlives the temporary directory.
import { execFileSync } from 'node:child_process';
import { writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../harness/procs.mjs';

function openssl(args, cwd) {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/**
 * Makes a CA and one certificate per entry of `certs` ({ name: [dns names] }),
 * valid for serverAuth and clientAuth (Prosody presents its certificate as a
 * client on outgoing s2s, https://xmpp.org/extensions/xep-0178.html).
 * Returns { dir, ca, certs: { name: { cert, key, pem } } } where `pem` holds
 * certificate and key together (HAProxy's `crt`, ejabberd's `certfiles`).
 */
export function makePki(certs, { dir = tempDir('jidroute-pki-') } = {}) {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
    '-subj', '/CN=jidroute test CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  const out = { dir, ca: join(dir, 'ca.pem'), certs: {} };
  for (const [name, names] of Object.entries(certs)) {
    writeFileSync(join(dir, `${name}.ext`), [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth,clientAuth',
      `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}`,
    ].join('\n') + '\n');
    openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${names[0]}`], dir);
    openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
      '-days', '2', '-extfile', `${name}.ext`, '-out', `${name}.crt`], dir);
    const cert = join(dir, `${name}.crt`);
    const key = join(dir, `${name}.key`);
    const pem = join(dir, `${name}.pem`);
    writeFileSync(pem, readFileSync(cert, 'utf8') + readFileSync(key, 'utf8'));
    out.certs[name] = { cert, key, pem };
  }
  return out;
}
