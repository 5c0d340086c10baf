import { describe, expect, it } from 'vitest';
import { classifyError } from '../../src/checks/classify.js';
import type { Answer } from 'dns-packet';
import { formatRecord } from '../../src/checks/dns.js';
import { grpcFailure } from '../../src/checks/grpc.js';
import { describeTarget, redactUrl } from '../../src/checks/redact.js';
import { parseEscapes } from '../../src/checks/tcp.js';
import { earliestExpiry } from '../../src/checks/tls-client.js';
import { ProbeFailure } from '../../src/checks/types.js';
import { parseConfig } from '../../src/config/load.js';
import type { DetailedPeerCertificate } from 'node:tls';

const errno = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('classifyError', () => {
  const cases: Array<[string, unknown, string]> = [
    ['ECONNREFUSED', errno('ECONNREFUSED'), 'refused'],
    ['ECONNRESET', errno('ECONNRESET'), 'reset'],
    ['EPIPE', errno('EPIPE'), 'reset'],
    ['ENOTFOUND', errno('ENOTFOUND', 'getaddrinfo ENOTFOUND nope.invalid'), 'dns'],
    ['EAI_AGAIN', errno('EAI_AGAIN'), 'dns'],
    ['CERT_HAS_EXPIRED', errno('CERT_HAS_EXPIRED'), 'tls'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', errno('ERR_TLS_CERT_ALTNAME_INVALID'), 'tls'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', errno('DEPTH_ZERO_SELF_SIGNED_CERT'), 'tls'],
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', errno('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), 'tls'],
    ['SELF_SIGNED_CERT_IN_CHAIN', errno('SELF_SIGNED_CERT_IN_CHAIN'), 'tls'],
    ['ERR_SSL_WRONG_VERSION_NUMBER', errno('ERR_SSL_WRONG_VERSION_NUMBER'), 'tls'],
    ['EPROTO', errno('EPROTO'), 'tls'],
    ['our timeout', new ProbeFailure('timeout', 'no result within 5s'), 'timeout'],
    ['a prober verdict', new ProbeFailure('expect', 'no match'), 'expect'],
    ['an unknown error', new Error('weird'), 'reset'],
  ];
  it.each(cases)('%s', (_name, err, reason) => expect(classifyError(err).reason).toBe(reason));
  it('keeps the message of a prober verdict', () => expect(classifyError(new ProbeFailure('status', 'status 500, expected 2xx')).message).toBe('status 500, expected 2xx'));
});

describe('redactUrl', () => {
  const cases: Array<[string, string]> = [
    ['http://127.0.0.1:8080/health', 'http://127.0.0.1:8080/health'],
    ['https://user:pa55@example.test/x', 'https://***@example.test/x'],
    ['https://ghp_abcdef@example.test/x', 'https://***@example.test/x'],
    ['http://h/x?token=abc&page=2', 'http://h/x?token=***&page=2'],
    ['http://h/x?api_key=abc&Access_Token=def&sig=1', 'http://h/x?api_key=***&Access_Token=***&sig=***'],
    ['not a url', '(invalid url)'],
  ];
  it.each(cases)('%s', (input, want) => expect(redactUrl(input)).toBe(want));
});

describe('describeTarget', () => {
  it('describes each check type without secrets', () => {
    const { checks } = parseConfig(
      `checks:
  - { name: h, every: 1m, http: { url: "https://u:secret@api.test/h?token=t0ken", method: POST } }
  - { name: t, every: 1m, tcp: { address: "127.0.0.1:31337", tls: true } }
  - { name: s, every: 1m, tls: { address: "127.0.0.1:8443", serverName: api.example.test } }
  - { name: d, every: 1m, dns: { server: "[::1]:5353", name: www.example.test, type: AAAA } }
  - { name: g, every: 1m, grpc: { address: "127.0.0.1:15051", service: app.Orders, tls: true } }
  - { name: g2, every: 1m, grpc: { address: "127.0.0.1:15051" } }`,
      { env: {} },
    );
    expect(checks.map(describeTarget)).toEqual([
      'POST https://***@api.test/h?token=***',
      'tcp+tls://127.0.0.1:31337',
      'tls://127.0.0.1:8443 (api.example.test)',
      'www.example.test AAAA via udp://[::1]:5353',
      'grpc+tls://127.0.0.1:15051 (service "app.Orders")',
      'grpc://127.0.0.1:15051',
    ]);
  });
});

describe('formatRecord', () => {
  // As dig and blackbox_exporter print them: what the answer regexes of a dns check see.
  const cases: Array<[string, Answer, string]> = [
    ['A', { type: 'A', name: 'www.example.test', ttl: 300, class: 'IN', data: '192.0.2.10' }, 'www.example.test.\t300\tIN\tA\t192.0.2.10'],
    ['CNAME', { type: 'CNAME', name: 'alias.example.test', ttl: 60, data: 'www.example.test' }, 'alias.example.test.\t60\tIN\tCNAME\twww.example.test.'],
    ['MX', { type: 'MX', name: 'example.test', ttl: 60, data: { preference: 10, exchange: 'mail.example.test' } }, 'example.test.\t60\tIN\tMX\t10 mail.example.test.'],
    ['SRV', { type: 'SRV', name: '_h._tcp.example.test', ttl: 5, data: { priority: 0, weight: 5, port: 8080, target: 'www.example.test' } }, '_h._tcp.example.test.\t5\tIN\tSRV\t0 5 8080 www.example.test.'],
    ['TXT in two strings', { type: 'TXT', name: 't.example.test', ttl: 1, data: [Buffer.from('v=spf1'), Buffer.from('-all "x"')] }, 't.example.test.\t1\tIN\tTXT\t"v=spf1" "-all \\"x\\""'],
    ['CAA', { type: 'CAA', name: 'example.test', ttl: 1, data: { flags: 0, tag: 'issue', value: 'ca.example' } }, 'example.test.\t1\tIN\tCAA\t0 issue "ca.example"'],
    ['unknown type', { type: 'NULL', name: 'n.example.test', ttl: 1, data: Buffer.from([1, 255]) } as Answer, 'n.example.test.\t1\tIN\tNULL\t\\# 2 01ff'],
  ];
  it.each(cases)('%s', (_n, rr, want) => expect(formatRecord(rr)).toBe(want));
});

describe('grpcFailure', () => {
  const err = (code: number, details: string) => Object.assign(new Error(details), { code, details, metadata: undefined as never });
  const cases: Array<[string, number, string, string]> = [
    ['unknown service', 5, 'NOT_FOUND', 'not_serving'],
    ['deadline', 4, 'Deadline exceeded', 'timeout'],
    ['no health service', 12, 'The server does not implement the method', 'status'],
    ['refused', 14, 'No connection established. Last error: connect ECONNREFUSED 127.0.0.1:1', 'refused'],
    ['name', 14, 'Name resolution failed for target dns:nope.invalid:1', 'dns'],
    ['certificate', 14, 'No connection established. Last error: Error: certificate has expired', 'tls'],
    ['hung up', 14, 'Connection dropped', 'reset'],
    ['permission', 7, 'denied', 'status'],
  ];
  it.each(cases)('%s', (_n, code, details, reason) => expect(grpcFailure(err(code, details), 'app').reason).toBe(reason));
});

describe('parseEscapes', () => {
  const cases: Array<[string, string]> = [
    ['{"cmd":"RING"}\\r\\n', '{"cmd":"RING"}\r\n'],
    ['a\\tb\\0', 'a\tb\0'],
    ['\\x41\\x7e', 'A~'],
    ['back\\\\slash\\n', 'back\\slash\n'],
    ['no escapes', 'no escapes'],
    ['\\q stays', '\\q stays'],
  ];
  it.each(cases)('%s', (input, want) => expect(parseEscapes(input)).toBe(want));
});

describe('earliestExpiry', () => {
  const cert = (valid_to: string, issuer?: unknown) => ({ valid_to, issuerCertificate: issuer }) as unknown as DetailedPeerCertificate;
  it('takes the earliest notAfter in the chain and stops at a self-signed root', () => {
    const root = cert('Jan  1 00:00:00 2035 GMT');
    (root as { issuerCertificate: unknown }).issuerCertificate = root;
    const intermediate = cert('Jun  1 00:00:00 2027 GMT', root);
    const leaf = cert('Dec 31 00:00:00 2027 GMT', intermediate);
    expect(earliestExpiry(leaf)).toBe(Date.parse('2027-06-01T00:00:00Z'));
  });
  it('is undefined with no certificate', () => {
    expect(earliestExpiry(undefined)).toBeUndefined();
    expect(earliestExpiry({} as DetailedPeerCertificate)).toBeUndefined();
  });
});
