/**
 * Test certificates made at test time with the real openssl (no private keys
 * in the repo): a CA, a valid server certificate for localhost/127.0.0.1, an
 * expired one, one for another host name and a client certificate
 * (clientAuth, SAN DNS:prometheus.test), all signed by the CA; and a client
 * certificate signed by nobody the CA knows (self-signed).
 *
 *   const certs = makeCerts();   // { dir, ca, valid, expired, wrongHost, client, stranger, cleanup() }
 *   https.createServer({ key: certs.valid.key, cert: certs.valid.cert }, ...)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface KeyPair {
  key: Buffer;
  cert: Buffer;
  certFile: string;
}

export interface TestCerts {
  dir: string;
  /** The CA certificate's path (for caFile) and contents. */
  caFile: string;
  ca: Buffer;
  valid: KeyPair;
  expired: KeyPair;
  wrongHost: KeyPair;
  /** A client certificate from the CA: extendedKeyUsage clientAuth, SAN DNS:prometheus.test. */
  client: KeyPair & { keyFile: string };
  /** A self-signed client certificate (SAN DNS:prometheus.test): not from the CA. */
  stranger: KeyPair & { keyFile: string };
  /** notAfter of the valid certificate, unix ms. */
  validNotAfterMs: number;
  cleanup(): void;
}

const CA_CONF = `[ ca ]
default_ca = test_ca
[ test_ca ]
dir = DIR
database = DIR/index.txt
new_certs_dir = DIR
serial = DIR/serial
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[ any ]
commonName = supplied
`;

export function makeCerts(validDays = 30): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'sockeye-certs-'));
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '3650', '-subj', '/CN=sockeye test CA');
  writeFileSync(join(dir, 'index.txt'), '');
  writeFileSync(join(dir, 'serial'), '1000\n');
  writeFileSync(join(dir, 'ca.cnf'), CA_CONF.replaceAll('DIR', dir));

  const issue = (name: string, cn: string, san: string, dates: string[], ext: string[] = []): KeyPair & { keyFile: string } => {
    ssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`, '-addext', `subjectAltName=${san}`, ...ext);
    ssl('ca', '-batch', '-config', 'ca.cnf', '-cert', 'ca.crt', '-keyfile', 'ca.key', '-in', `${name}.csr`, '-out', `${name}.crt`, '-notext', ...dates);
    return { key: readFileSync(join(dir, `${name}.key`)), cert: readFileSync(join(dir, `${name}.crt`)), certFile: join(dir, `${name}.crt`), keyFile: join(dir, `${name}.key`) };
  };
  const valid = issue('valid', 'localhost', 'DNS:localhost,IP:127.0.0.1', ['-days', String(validDays)]);
  const expired = issue('expired', 'localhost', 'DNS:localhost,IP:127.0.0.1', ['-startdate', '20200101000000Z', '-enddate', '20200201000000Z']);
  const wrongHost = issue('wronghost', 'other.example.test', 'DNS:other.example.test', ['-days', String(validDays)]);
  const client = issue('client', 'prometheus', 'DNS:prometheus.test', ['-days', String(validDays)], ['-addext', 'extendedKeyUsage=clientAuth']);
  ssl('req', '-x509', ...ec, '-keyout', 'stranger.key', '-out', 'stranger.crt', '-days', '30', '-subj', '/CN=prometheus', '-addext', 'subjectAltName=DNS:prometheus.test', '-addext', 'extendedKeyUsage=clientAuth');
  const stranger = { key: readFileSync(join(dir, 'stranger.key')), cert: readFileSync(join(dir, 'stranger.crt')), certFile: join(dir, 'stranger.crt'), keyFile: join(dir, 'stranger.key') };
  const notAfter = ssl('x509', '-in', 'valid.crt', '-noout', '-enddate').toString().trim().replace(/^notAfter=/, '');
  return {
    dir,
    caFile: join(dir, 'ca.crt'),
    ca: readFileSync(join(dir, 'ca.crt')),
    valid,
    expired,
    wrongHost,
    client,
    stranger,
    validNotAfterMs: Date.parse(notAfter),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
