// The web config file (exporter-toolkit's format): what loads, what is refused
// and how, and the per-request parts (headers, rate limit, basic auth) on a
// real fastify app. TLS on the wire: test/integration/web-config.test.ts.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ConfigError } from '../../src/config/errors.js';
import { defaultConfig } from '../../src/config/load.js';
import { createBasicAuth, parseBasicAuth } from '../../src/web-config/basic-auth.js';
import { loadWebConfig } from '../../src/web-config/load.js';
import { certificateSans } from '../../src/web-config/server.js';
import { makeCerts, type TestCerts } from '../support/certs.js';

let certs: TestCerts;
let dir: string;
let n = 0;
beforeAll(() => {
  certs = makeCerts();
  dir = mkdtempSync(join(tmpdir(), 'sockeye-webcfg-'));
});
afterAll(() => {
  certs.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

const write = (text: string, at = dir) => {
  const file = join(at, `web-${n++}.yml`);
  writeFileSync(file, text);
  return file;
};
const problems = async (text: string): Promise<string[]> => {
  try {
    await loadWebConfig(write(text));
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('loaded without a problem');
};
const HASH = bcrypt.hashSync('s3cret', 4);
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

describe('loadWebConfig', () => {
  it("loads a node_exporter-style file: every documented key, relative paths from the file's directory", async () => {
    const file = write(
      `tls_server_config:
  cert_file: valid.crt
  key_file: valid.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  client_allowed_sans: [prometheus.test]
  min_version: TLS12
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
  prefer_server_cipher_suites: true
  curve_preferences: [CurveP256, X25519]
http_server_config:
  http2: true
  headers:
    Strict-Transport-Security: max-age=31536000
    X-XSS-Protection: ""
basic_auth_users:
  prometheus: ${HASH}
rate_limit:
  interval: 100ms
  burst: 5
`,
      certs.dir,
    );
    const web = await loadWebConfig(file);
    expect(web.tls?.clientAuth).toBe('RequireAndVerifyClientCert');
    expect(web.tls?.options).toMatchObject({
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256',
      ecdhCurve: 'P-256:X25519',
      honorCipherOrder: true,
      requestCert: true,
      rejectUnauthorized: true,
    });
    expect(web.tls?.options.ca).toEqual(certs.ca);
    expect(web.headers).toEqual({ 'Strict-Transport-Security': 'max-age=31536000' });
    expect([...web.users.keys()]).toEqual(['prometheus']);
    expect(web.rateLimit).toEqual({ intervalMs: 100, burst: 5 });
  });

  it('takes inline PEM as well as files, and an empty file as "nothing on"', async () => {
    const inline = await loadWebConfig(
      write(`tls_server_config:\n  cert: |\n${certs.valid.cert.toString().replace(/^/gm, '    ')}\n  key: |\n${certs.valid.key.toString().replace(/^/gm, '    ')}\n`),
    );
    expect(inline.tls?.options.cert?.toString()).toContain('BEGIN CERTIFICATE');
    const empty = await loadWebConfig(write(''));
    expect(empty).toMatchObject({ tls: undefined, headers: {}, rateLimit: undefined });
    expect(empty.users.size).toBe(0);
  });

  it('names unknown keys with the likely one, as exporter-toolkit refuses them', async () => {
    expect(await problems('tls_server_config:\n  certfile: a.crt\n  key_file: a.key\nbasic_auth_user: {}\n')).toEqual([
      // A missing key is listed at the place of its parent, before the keys in it.
      'tls_server_config.cert_file: missing required key (cert_file or cert, the certificate of key_file)',
      expect.stringMatching(/^tls_server_config\.certfile: unknown key, did you mean "cert_file"\?/),
      expect.stringMatching(/^basic_auth_user: unknown key, did you mean "basic_auth_users"\?/),
    ]);
  });

  it('refuses what cannot work, each with its key', async () => {
    expect(await problems(`tls_server_config:\n  cert_file: ${certs.valid.certFile}\n`)).toEqual(['tls_server_config.key_file: missing required key (key_file or key, the private key of cert_file)']);
    expect(await problems(`tls_server_config:\n  cert_file: ${certs.valid.certFile}\n  key_file: ${certs.dir}/valid.key\n  client_ca_file: ${certs.caFile}\n`)).toEqual([
      'tls_server_config.client_auth_type: client_ca_file is set but client_auth_type is NoClientCert: set RequireAndVerifyClientCert to check client certificates',
    ]);
    expect(await problems(`tls_server_config:\n  cert_file: ${certs.valid.certFile}\n  key_file: ${certs.dir}/valid.key\n  client_auth_type: RequireAndVerifyClientCert\n`)).toEqual([
      'tls_server_config.client_ca_file: missing required key (client_auth_type RequireAndVerifyClientCert verifies client certificates against it)',
    ]);
    expect(await problems(`tls_server_config:\n  cert_file: ${certs.valid.certFile}\n  key_file: ${certs.dir}/valid.key\n  min_version: TLS13\n  max_version: TLS12\n`)).toEqual(['tls_server_config.max_version: is lower than min_version TLS13']);
    expect(await problems('tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS1.2\n')).toEqual(['tls_server_config.min_version: expected one of TLS10, TLS11, TLS12, TLS13, got the string "TLS1.2"']);
    const [cipher] = await problems('tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [ECDHE-RSA-AES128-GCM-SHA256]\n');
    expect(cipher).toMatch(/^tls_server_config\.cipher_suites\[0\]: unknown cipher suite "ECDHE-RSA-AES128-GCM-SHA256"; expected one of TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, /);
    expect(await problems('http_server_config:\n  headers:\n    X-Frame-Options: allow\n    Server: sockeye\n')).toEqual([
      'http_server_config.headers.X-Frame-Options: expected deny or sameorigin',
      expect.stringMatching(/^http_server_config\.headers\.Server: unknown key \(allowed: Content-Security-Policy, /),
    ]);
  });

  it("takes X25519MLKEM768 where Node's OpenSSL has it (3.5, Node 24), and names the key where it does not", async () => {
    const text = `tls_server_config:\n  cert_file: ${certs.valid.certFile}\n  key_file: ${certs.dir}/valid.key\n  curve_preferences: [X25519MLKEM768, X25519]\n`;
    const [major, minor] = process.versions.openssl.split('.').map(Number) as [number, number];
    if (major > 3 || (major === 3 && minor >= 5)) {
      expect((await loadWebConfig(write(text))).tls?.options.ecdhCurve).toBe('X25519MLKEM768:X25519');
    } else {
      expect(await problems(text)).toEqual([
        `tls_server_config.curve_preferences: this Node.js ${process.version} (OpenSSL ${process.versions.openssl}) does not have every curve of ["X25519MLKEM768","X25519"]`,
      ]);
    }
  });

  it('names an unreadable file under its key, and a key that is not the certificate\'s', async () => {
    expect(await problems(`tls_server_config:\n  cert_file: missing.crt\n  key_file: ${certs.dir}/valid.key\n`)).toEqual([`tls_server_config.cert_file: cannot read ${join(dir, 'missing.crt')}: no such file`]);
    const [mismatch] = await problems(`tls_server_config:\n  cert_file: ${certs.valid.certFile}\n  key_file: ${certs.client.keyFile}\n`);
    expect(mismatch).toMatch(/^tls_server_config: cannot use the certificate and key: .*key values mismatch/);
  });

  it('never repeats a password, hash or inline key in an error', async () => {
    const lines = await problems('basic_auth_users:\n  alice: hunter2-plain\n  bob: $2y$10$short\ntls_server_config:\n  cert: x\n  key: 12345\n');
    expect(lines).toEqual([
      "basic_auth_users.alice: expected a bcrypt hash such as $2y$10$… (htpasswd -nBC 10 \"\" | tr -d ':\\n'), got something else (not shown)",
      "basic_auth_users.bob: expected a bcrypt hash such as $2y$10$… (htpasswd -nBC 10 \"\" | tr -d ':\\n'), got something else (not shown)",
      'tls_server_config.key: expected PEM text (not shown)',
    ]);
    expect(lines.join('\n')).not.toMatch(/hunter2|\$2y\$10\$short|12345/);
  });
});

describe('basic auth', () => {
  it('parses the header and checks against bcrypt hashes of every prefix ($2a$, $2b$, $2y$)', async () => {
    expect(parseBasicAuth(basic('user', 'pa:ss'))).toEqual({ user: 'user', password: 'pa:ss' });
    expect(parseBasicAuth('Bearer abc')).toBeUndefined();
    const y = HASH.replace(/^\$2b\$/, '$2y$');
    const a = HASH.replace(/^\$2b\$/, '$2a$');
    const check = createBasicAuth(new Map([['b', HASH], ['y', y], ['a', a]]));
    for (const user of ['a', 'b', 'y']) {
      expect(await check(basic(user, 's3cret')), user).toBe(true);
      expect(await check(basic(user, 's3cret')), `${user}, remembered`).toBe(true);
      expect(await check(basic(user, 'S3cret')), `${user}, wrong`).toBe(false);
    }
    expect(await check(basic('nobody', 's3cret'))).toBe(false);
    expect(await check(undefined)).toBe(false);
  });
});

describe('on every route of the app', () => {
  it('sets the configured headers, answers 429 past the rate limit, and 401 without basic auth', async () => {
    const web = await loadWebConfig(write(`http_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\nbasic_auth_users:\n  prom: ${HASH}\nrate_limit:\n  interval: 1h\n  burst: 3\n`));
    const app = await buildApp({ ...defaultConfig(), stateDir: join(dir, 'state') }, { logger: false, web });
    try {
      const ok = await app.inject({ url: '/readyz', headers: { authorization: basic('prom', 's3cret') } });
      expect([ok.statusCode, ok.headers['x-content-type-options']]).toEqual([200, 'nosniff']);
      const denied = await app.inject({ url: '/readyz' });
      expect([denied.statusCode, denied.headers['www-authenticate']]).toEqual([401, 'Basic realm="sockeye", charset="UTF-8"']);
      expect(denied.headers['x-content-type-options']).toBe('nosniff');
      // Three tokens, one back per hour: the fourth request is refused before auth.
      expect((await app.inject({ url: '/readyz' })).statusCode).toBe(401);
      const limited = await app.inject({ url: '/metrics', headers: { authorization: basic('prom', 's3cret') } });
      expect([limited.statusCode, limited.headers['retry-after']]).toEqual([429, '3600']);
    } finally {
      await app.close();
    }
  });
});

describe('certificateSans', () => {
  it("reads Node's subjectaltname into the bare values client_allowed_sans lists", () => {
    expect(certificateSans('DNS:prometheus.test, IP Address:127.0.0.1, email:a@b.test, URI:spiffe://cluster/ns/monitoring/sa/prometheus')).toEqual([
      'prometheus.test',
      '127.0.0.1',
      'a@b.test',
      'spiffe://cluster/ns/monitoring/sa/prometheus',
    ]);
    expect(certificateSans(undefined)).toEqual([]);
  });
});
