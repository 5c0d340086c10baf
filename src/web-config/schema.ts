import { z } from 'zod';
import { duration } from '../config/fields.js';
import { CIPHER_SUITES, CURVES, TLS_VERSIONS } from './tls-names.js';

// The web config file of Prometheus' exporter-toolkit (--web.config.file of
// node_exporter, blackbox_exporter, Prometheus itself): the same keys, the
// same defaults, so an existing file works unchanged. Unknown keys are
// errors, as they are there.

export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

const oneOf = (names: readonly string[]) => `expected one of ${names.join(', ')}`;
const path = z.string({ error: 'expected a file path' }).min(1, 'expected a file path');
const pem = z.string({ error: 'expected PEM text' }).min(1, 'expected PEM text');
const tlsVersion = z.enum(Object.keys(TLS_VERSIONS) as [keyof typeof TLS_VERSIONS], { error: oneOf(Object.keys(TLS_VERSIONS)) });
const nameList = (table: Record<string, unknown>, what: string) =>
  z.array(z.string().refine((n) => Object.hasOwn(table, n), { error: (i) => `unknown ${what} ${JSON.stringify(i.input)}; ${oneOf(Object.keys(table))}` }), { error: `expected a list of ${what} names` });

// The inline private key is a secret: custom issues only, never echoed.
const secretPem = z.unknown().transform((k, ctx) => {
  if (typeof k !== 'string' || k === '') ctx.addIssue({ code: 'custom', message: 'expected PEM text (not shown)' });
  return k as string;
});

const tlsServerSchema = z
  .strictObject({
    cert: pem.optional(),
    key: secretPem.optional(),
    client_ca: pem.optional(),
    cert_file: path.optional(),
    key_file: path.optional(),
    client_ca_file: path.optional(),
    client_auth_type: z.enum(CLIENT_AUTH_TYPES, { error: oneOf(CLIENT_AUTH_TYPES) }).default('NoClientCert'),
    client_allowed_sans: z.array(z.string({ error: 'expected a string' }), { error: 'expected a list of names' }).optional(),
    min_version: tlsVersion.default('TLS12'),
    max_version: tlsVersion.default('TLS13'),
    cipher_suites: nameList(CIPHER_SUITES, 'cipher suite').optional(),
    prefer_server_cipher_suites: z.boolean({ error: 'expected true or false' }).default(true),
    curve_preferences: nameList(CURVES, 'curve').optional(),
  })
  .superRefine((t, ctx) => {
    const issue = (key: string, message: string) => ctx.addIssue({ code: 'custom', path: [key], message });
    for (const [inline, file] of [['cert', 'cert_file'], ['key', 'key_file'], ['client_ca', 'client_ca_file']] as const) {
      if (t[inline] !== undefined && t[file] !== undefined) issue(inline, `give ${inline} or ${file}, not both`);
    }
    const hasCert = t.cert !== undefined || t.cert_file !== undefined;
    const hasKey = t.key !== undefined || t.key_file !== undefined;
    // Neither: TLS stays off, as in exporter-toolkit; one alone is a mistake.
    if (hasCert && !hasKey) issue('key_file', 'missing required key (key_file or key, the private key of cert_file)');
    if (hasKey && !hasCert) issue('cert_file', 'missing required key (cert_file or cert, the certificate of key_file)');
    const hasCa = t.client_ca !== undefined || t.client_ca_file !== undefined;
    if (hasCa && t.client_auth_type === 'NoClientCert') issue('client_auth_type', 'client_ca_file is set but client_auth_type is NoClientCert: set RequireAndVerifyClientCert to check client certificates');
    if (!hasCa && (t.client_auth_type === 'VerifyClientCertIfGiven' || t.client_auth_type === 'RequireAndVerifyClientCert')) {
      issue('client_ca_file', `missing required key (client_auth_type ${t.client_auth_type} verifies client certificates against it)`);
    }
    if (t.client_allowed_sans !== undefined && t.client_auth_type !== 'RequireAnyClientCert' && t.client_auth_type !== 'RequireAndVerifyClientCert') {
      issue('client_allowed_sans', 'needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert (otherwise a client can connect without a certificate)');
    }
    if (TLS_VERSION_ORDER.indexOf(t.min_version) > TLS_VERSION_ORDER.indexOf(t.max_version)) issue('max_version', `is lower than min_version ${t.min_version}`);
  });

const TLS_VERSION_ORDER = Object.keys(TLS_VERSIONS);

const HEADERS = ['Content-Security-Policy', 'X-Frame-Options', 'X-Content-Type-Options', 'X-XSS-Protection', 'Strict-Transport-Security'] as const;
const headerValue = z.string({ error: 'expected a string' });
const headersSchema = z.strictObject({
  'Content-Security-Policy': headerValue.optional(),
  'X-Frame-Options': headerValue.refine((v) => v === '' || /^(deny|sameorigin)$/i.test(v), 'expected deny or sameorigin').optional(),
  'X-Content-Type-Options': headerValue.refine((v) => v === '' || /^nosniff$/i.test(v), 'expected nosniff').optional(),
  'X-XSS-Protection': headerValue.optional(),
  'Strict-Transport-Security': headerValue.optional(),
} satisfies Record<(typeof HEADERS)[number], unknown>);

// $2a$, $2b$ or $2y$ (htpasswd -B), two-digit cost, 53 characters of salt and hash.
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;
// Custom issues only: a line in a CI log never repeats a hash.
const bcryptHash = z.unknown().transform((h, ctx) => {
  if (typeof h !== 'string' || !BCRYPT.test(h)) {
    ctx.addIssue({ code: 'custom', message: 'expected a bcrypt hash such as $2y$10$… (htpasswd -nBC 10 "" | tr -d \':\\n\'), got something else (not shown)' });
  }
  return h as string;
});

export const webConfigSchema = z.strictObject({
  tls_server_config: tlsServerSchema.nullish(),
  http_server_config: z
    .strictObject({
      // Accepted so existing files load; sockeye serves HTTP/1.1 (Prometheus
      // scrapes over HTTP/1.1 unless enable_http2 is set).
      http2: z.boolean({ error: 'expected true or false' }).default(true),
      headers: headersSchema.nullish(),
    })
    .nullish(),
  basic_auth_users: z.record(z.string(), bcryptHash, { error: 'expected a mapping of user names to bcrypt hashes' }).nullish(),
  rate_limit: z
    .strictObject({
      interval: duration,
      burst: z.number({ error: 'expected a whole number' }).int('expected a whole number').min(0, 'expected a whole number').default(0),
    })
    .nullish(),
});

export type WebConfigFile = z.output<typeof webConfigSchema>;
export type TlsServerConfig = NonNullable<WebConfigFile['tls_server_config']>;
