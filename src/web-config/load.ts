import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import { ConfigError } from '../config/errors.js';
import { readConfigText, readProblem, parseYamlWith } from '../config/load.js';
import { webConfigSchema, type ClientAuthType, type TlsServerConfig, type WebConfigFile } from './schema.js';
import { CIPHER_SUITES, CURVES, TLS_VERSIONS } from './tls-names.js';

/** What the server does with a web config file: everything read and checked, nothing left to fail later. */
export interface WebConfig {
  file: string;
  tls?: WebTls;
  /** User name → bcrypt hash; empty: no basic auth. */
  users: ReadonlyMap<string, string>;
  /** Response headers set on every answer (blank ones left out, as in exporter-toolkit). */
  headers: Readonly<Record<string, string>>;
  /** A token bucket over all requests; undefined when off. */
  rateLimit?: { intervalMs: number; burst: number };
}

export interface WebTls {
  /** For https.createServer / setSecureContext. */
  options: SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean };
  clientAuth: ClientAuthType;
  /** Exact SANs a client certificate must carry one of. */
  allowedSans?: readonly string[];
  /** The certificate, key and CA files read (absolute), to notice when they are renewed. */
  files: readonly string[];
}

/** Reads and validates a web config file (exporter-toolkit format). Throws ConfigError naming the key. */
export async function loadWebConfig(file: string): Promise<WebConfig> {
  const text = await readConfigText(file, 'web config file');
  const parsed = parseYamlWith(webConfigSchema, text, { source: file, env: false });
  return resolveWebConfig(parsed, file);
}

async function resolveWebConfig(parsed: WebConfigFile, file: string): Promise<WebConfig> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed.http_server_config?.headers ?? {})) if (value) headers[name] = value;
  const limit = parsed.rate_limit;
  return {
    file,
    tls: parsed.tls_server_config ? await resolveTls(parsed.tls_server_config, file) : undefined,
    users: new Map(Object.entries(parsed.basic_auth_users ?? {})),
    headers,
    rateLimit: limit && limit.interval > 0 ? { intervalMs: limit.interval, burst: Math.max(1, limit.burst) } : undefined,
  };
}

async function resolveTls(t: TlsServerConfig, file: string): Promise<WebTls | undefined> {
  if (t.cert === undefined && t.cert_file === undefined) return undefined;
  // Relative paths are relative to the web config file, as in exporter-toolkit.
  const base = dirname(resolve(file));
  const problems: string[] = [];
  const files: string[] = [];
  const read = async (inline: string | undefined, key: 'cert_file' | 'key_file' | 'client_ca_file', path: string | undefined): Promise<Buffer | undefined> => {
    if (inline !== undefined) return Buffer.from(inline);
    if (path === undefined) return undefined;
    const full = resolve(base, path);
    files.push(full);
    try {
      return await readFile(full);
    } catch (err) {
      problems.push(`tls_server_config.${key}: cannot read ${full}: ${readProblem(err)}`);
      return undefined;
    }
  };
  const [cert, key, ca] = await Promise.all([read(t.cert, 'cert_file', t.cert_file), read(t.key, 'key_file', t.key_file), read(t.client_ca, 'client_ca_file', t.client_ca_file)]);
  if (problems.length > 0) throw new ConfigError(problems, file);

  const ciphers = t.cipher_suites?.map((n) => CIPHER_SUITES[n]).filter((c): c is string => typeof c === 'string');
  const requestCert = t.client_auth_type !== 'NoClientCert';
  const options: WebTls['options'] = {
    cert,
    key,
    ...(ca ? { ca } : {}),
    minVersion: TLS_VERSIONS[t.min_version],
    maxVersion: TLS_VERSIONS[t.max_version],
    ...(ciphers && ciphers.length > 0 ? { ciphers: ciphers.join(':') } : {}),
    honorCipherOrder: t.prefer_server_cipher_suites,
    ...(t.curve_preferences ? { ecdhCurve: t.curve_preferences.map((c) => CURVES[c]).join(':') } : {}),
    requestCert,
    // Only RequireAndVerifyClientCert fails the handshake itself; the others are checked once it is done.
    rejectUnauthorized: t.client_auth_type === 'RequireAndVerifyClientCert',
  };
  if (options.ecdhCurve) {
    try {
      createSecureContext({ ecdhCurve: options.ecdhCurve });
    } catch {
      throw new ConfigError([`tls_server_config.curve_preferences: this Node.js ${process.version} (OpenSSL ${process.versions.openssl}) does not have every curve of ${JSON.stringify(t.curve_preferences)}`], file);
    }
  }
  try {
    // What the server would do at its first connection, done now: a key that is not the
    // certificate's, or PEM that is not PEM, fails the start instead of every handshake.
    createSecureContext(options);
  } catch (err) {
    const why = (err as Error).message.replace(/^error:[0-9A-F]+:/i, '');
    throw new ConfigError([`tls_server_config: cannot use the certificate and key: ${why}`], file);
  }
  return { options, clientAuth: t.client_auth_type, allowedSans: t.client_allowed_sans, files };
}
