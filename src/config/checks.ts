import { createTask, validateDetailed } from 'node-cron';
import { z } from 'zod';
import { formatDuration } from './duration.js';
import { isIP } from 'node:net';
import { describe } from './errors.js';
import { duration, hostPort, name, regex, splitHostPort } from './fields.js';

// Owned by the checker (issue 3). Kept in its own file so the root schema
// stays a list of sections.

/** The scheduler ticks once a second; a shorter interval could not be honoured. */
export const MIN_INTERVAL_MS = 1000;
/** Without an explicit timeout: half the interval, at most 10s. */
export const DEFAULT_TIMEOUT_CAP_MS = 10_000;

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;

const bool = (what: string) => z.boolean({ error: `expected true or false (${what})` });
const filePath = z.string({ error: 'expected a file path' }).min(1, 'expected a file path');
const positiveInt = (max: number) =>
  z
    .number({ error: `expected a whole number from 1 to ${max}` })
    .int(`expected a whole number from 1 to ${max}`)
    .min(1, `expected a whole number from 1 to ${max}`)
    .max(max, `expected a whole number from 1 to ${max}`);

/** TLS client settings shared by http (https URLs), tcp (tls: {...}) and tls checks. */
const tlsClient = {
  serverName: z.string({ error: 'expected a host name' }).min(1, 'expected a host name').optional(),
  caFile: filePath.optional(),
  insecureSkipVerify: bool('skips certificate verification; an explicit opt-in').default(false),
};

const httpUrl = z.string({ error: 'expected an http:// or https:// URL' }).superRefine((text, ctx) => {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL, got a malformed URL' });
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    ctx.addIssue({ code: 'custom', message: `expected an http:// or https:// URL, got scheme ${JSON.stringify(url.protocol.replace(/:$/, ''))}` });
  } else if (url.hostname === '') {
    ctx.addIssue({ code: 'custom', message: 'expected an http:// or https:// URL with a host' });
  }
});

const status = z
  .number({ error: 'expected an HTTP status code from 100 to 599' })
  .int('expected an HTTP status code from 100 to 599')
  .min(100, 'expected an HTTP status code from 100 to 599')
  .max(599, 'expected an HTTP status code from 100 to 599');

export const httpCheckSchema = z.strictObject({
  url: httpUrl,
  method: z.enum(METHODS, { error: `expected one of ${METHODS.join(', ')}` }).default('GET'),
  headers: z.record(z.string(), z.string({ error: 'expected a header value string' }), { error: 'expected a mapping of header names to values' }).default({}),
  /** Request body to send (POST/PUT/PATCH). */
  requestBody: z.string({ error: 'expected a string' }).optional(),
  /** Accepted statuses; empty means any 2xx. */
  status: z.array(status, { error: 'expected a list of HTTP status codes' }).default([]),
  /** Regex the response body must match. */
  body: regex.optional(),
  maxBodyBytes: positiveInt(1024 * 1024 * 1024).default(1024 * 1024),
  followRedirects: bool('follow redirects').default(false),
  ...tlsClient,
});

// One object with a refinement rather than a union: errors then point at
// the key that is wrong instead of "matched no option".
const step = z
  .strictObject({ send: z.string({ error: 'expected a string to send' }).optional(), expect: regex.optional() }, { error: 'expected a step: a mapping with send or expect' })
  .refine((s) => (s.send === undefined) !== (s.expect === undefined), 'expected a step with exactly one of send or expect')
  .transform((s): { send: string } | { expect: string } => (s.send !== undefined ? { send: s.send } : { expect: s.expect! }));

/** tcp and grpc: TLS off (false), on with the defaults (true), or its client settings. */
const tlsOption = z
  .union([z.boolean(), z.strictObject(tlsClient)], { error: 'expected true, false or a mapping of serverName, caFile, insecureSkipVerify' })
  .default(false)
  .transform((t) => (t === false ? undefined : t === true ? { insecureSkipVerify: false } : t));

export const tcpCheckSchema = z.strictObject({
  address: hostPort,
  tls: tlsOption,
  conversation: z.array(step, { error: 'expected a list of send/expect steps' }).default([]),
  /** Bytes an expect step may buffer while waiting for its match. */
  maxReadBytes: positiveInt(16 * 1024 * 1024).default(64 * 1024),
});

export const tlsCheckSchema = z.strictObject({
  address: hostPort,
  ...tlsClient,
  minValidDays: z.number({ error: 'expected a number of days >= 0' }).nonnegative('expected a number of days >= 0').default(0),
});

/** The query types a dns check may ask for (those whose answers it can print for the regexes). */
export const DNS_TYPES = ['A', 'AAAA', 'CAA', 'CNAME', 'MX', 'NS', 'PTR', 'SOA', 'SRV', 'TXT'] as const;
/** RFC 1035 and RFC 2136 response codes, by their usual names. */
export const DNS_RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'] as const;

type DnsRcode = (typeof DNS_RCODES)[number];

/** The server to ask: host or host:port (port 53 when omitted), IPv6 in brackets when a port is given. */
const dnsServer = z.string({ error: 'expected a DNS server address such as 127.0.0.1 or 127.0.0.1:53' }).transform((text, ctx) => {
  const hp = splitHostPort(text) ?? (isIP(text) || /^[A-Za-z0-9.-]+$/.test(text) ? { host: text, port: 53 } : undefined);
  if (!hp || hp.host === '' || hp.port === 0) {
    ctx.addIssue({ code: 'custom', message: `expected a DNS server address such as 127.0.0.1 or 127.0.0.1:53 (IPv6 with a port in brackets, e.g. [::1]:53), got ${describe(text)}` });
    return z.NEVER;
  }
  return hp;
});

const dnsName = z
  .string({ error: 'expected a domain name such as www.example.com' })
  .regex(/^(\.|[A-Za-z0-9_*]([A-Za-z0-9_-]{0,62})(\.[A-Za-z0-9_]([A-Za-z0-9_-]{0,62}))*\.?)$/, 'expected a domain name such as www.example.com')
  .max(253, 'expected a domain name of at most 253 characters');

export const dnsCheckSchema = z.strictObject({
  server: dnsServer,
  name: dnsName,
  type: z.enum(DNS_TYPES, { error: `expected a query type: one of ${DNS_TYPES.join(', ')}` }).default('A'),
  transport: z.enum(['udp', 'tcp'], { error: 'expected udp or tcp' }).default('udp'),
  /** Accepted response codes: one or a list. */
  rcode: z
    .union([z.string(), z.array(z.string())], { error: `expected a DNS response code (one of ${DNS_RCODES.join(', ')}) or a list of them` })
    .default(['NOERROR'])
    .transform((value, ctx) => {
      const list = typeof value === 'string' ? [value] : value;
      if (list.length === 0) ctx.addIssue({ code: 'custom', message: 'expected at least one DNS response code' });
      list.forEach((r, i) => {
        if (!(DNS_RCODES as readonly string[]).includes(r)) {
          ctx.addIssue({ code: 'custom', path: typeof value === 'string' ? [] : [i], message: `expected a DNS response code: one of ${DNS_RCODES.join(', ')}, got ${describe(r)}` });
        }
      });
      return list as DnsRcode[];
    }),
  /** Regexes that must each match at least one answer record, printed as in a zone file. */
  answer: z.array(regex, { error: 'expected a list of regular expressions' }).default([]),
  recursionDesired: bool('ask the server to recurse').default(true),
});

export const grpcCheckSchema = z.strictObject({
  address: hostPort,
  /** The service name asked about; "" asks about the server as a whole. */
  service: z.string({ error: 'expected a service name string ("" for the whole server)' }).default(''),
  tls: tlsOption,
});

/** Shortest gap between the next runs of a cron expression, in ms; undefined if invalid. */
export function cronInterval(expression: string, samples = 12): number | undefined {
  if (!validateDetailed(expression).valid) return undefined;
  const task = createTask(expression, () => undefined);
  try {
    const runs = task.getNextRuns(samples).map((d) => d.getTime());
    let min = Infinity;
    for (let i = 1; i < runs.length; i++) min = Math.min(min, runs[i]! - runs[i - 1]!);
    return Number.isFinite(min) ? min : undefined;
  } finally {
    void task.destroy();
  }
}

export const cronExpression = z.string({ error: 'expected a cron expression' }).superRefine((text, ctx) => {
  const v = validateDetailed(text);
  if (!v.valid) {
    const why = v.errors.map((e) => e.message).join('; ') || 'not a cron expression';
    ctx.addIssue({ code: 'custom', message: `expected a cron expression such as "*/5 * * * *", got ${JSON.stringify(text)}: ${why}` });
  }
});

const KINDS = ['http', 'tcp', 'tls', 'dns', 'grpc'] as const;

export const checkSchema = z
  .strictObject({
    name,
    every: duration.optional(),
    schedule: cronExpression.optional(),
    timeout: duration.optional(),
    http: httpCheckSchema.optional(),
    tcp: tcpCheckSchema.optional(),
    tls: tlsCheckSchema.optional(),
    dns: dnsCheckSchema.optional(),
    grpc: grpcCheckSchema.optional(),
  })
  .superRefine((c, ctx) => {
    const kinds = KINDS.filter((k) => c[k] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `expected exactly one of ${KINDS.join(', ')}${kinds.length ? `, got ${kinds.join(' and ')}` : ''}` });
    }
    if ((c.every === undefined) === (c.schedule === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expected exactly one of every (e.g. "15s") or schedule (a cron expression)' });
      return;
    }
    if (c.every !== undefined && c.every < MIN_INTERVAL_MS) {
      ctx.addIssue({ code: 'custom', path: ['every'], message: `must be at least ${formatDuration(MIN_INTERVAL_MS)}, got ${formatDuration(c.every)}` });
      return;
    }
    const interval = c.every ?? (c.schedule !== undefined ? cronInterval(c.schedule) : undefined);
    if (interval !== undefined && c.timeout !== undefined) {
      if (c.timeout <= 0) ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'must be longer than 0' });
      else if (c.timeout >= interval) {
        ctx.addIssue({ code: 'custom', path: ['timeout'], message: `must be shorter than the interval (${formatDuration(interval)})` });
      }
    }
  })
  .transform((c) => {
    const type = KINDS.find((k) => c[k] !== undefined)!;
    const intervalMs = c.every ?? cronInterval(c.schedule!)!;
    const timeoutMs = c.timeout ?? Math.min(DEFAULT_TIMEOUT_CAP_MS, Math.floor(intervalMs / 2));
    return { ...c, type, intervalMs, timeoutMs };
  });

export type CheckConfig = z.output<typeof checkSchema>;
export type HttpCheckConfig = z.output<typeof httpCheckSchema>;
export type TcpCheckConfig = z.output<typeof tcpCheckSchema>;
export type TlsCheckConfig = z.output<typeof tlsCheckSchema>;
export type DnsCheckConfig = z.output<typeof dnsCheckSchema>;
export type GrpcCheckConfig = z.output<typeof grpcCheckSchema>;
export type CheckType = CheckConfig['type'];
