import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckRunner } from '../../src/checks/runner.js';
import { captureLogger } from '../support/collection.js';
import { startNsd, type Nsd } from '../support/nsd.js';
import { freePort } from '../support/sockeye.js';
import { startFakeDns, type FakeDns } from './checks-dns-fake.js';
import { checkFrom, metricValue, newRegistry, openFds } from './checks-support.js';

// dns checks against a real authoritative server (Debian's nsd) serving a zone
// written here, over UDP and TCP, and a small in-test server for the answers
// nsd will not give on demand (SERVFAIL, wrong id, garbage, silence).

// 40 A records: more than fits in 512 bytes, so nsd truncates over UDP (the query has no EDNS).
const MANY = Array.from({ length: 40 }, (_, i) => `many IN A 198.51.100.${i + 1}`).join('\n');
const ZONE = `$ORIGIN example.test.
$TTL 300
@      IN SOA ns1.example.test. hostmaster.example.test. 2026120401 3600 600 86400 300
@      IN NS  ns1.example.test.
@      IN MX  10 mail.example.test.
ns1    IN A   127.0.0.1
mail   IN A   192.0.2.25
www    IN A   192.0.2.10
www    IN A   192.0.2.11
www    IN AAAA 2001:db8::10
alias  IN CNAME www.example.test.
txt    IN TXT "v=spf1 -all"
_http._tcp IN SRV 0 5 8080 www.example.test.
${MANY}
`;

let nsd: Nsd;
let fake: FakeDns;
let closed: number;
beforeAll(async () => {
  [nsd, fake, closed] = await Promise.all([startNsd({ 'example.test': ZONE }), startFakeDns(), freePort()]);
});
afterAll(async () => {
  await Promise.all([nsd?.stop(), fake?.stop()]);
});

const T = '700ms';

interface Case {
  name: string;
  dns: () => Record<string, unknown>;
  timeout?: string;
  reason: string | null;
  message?: RegExp;
  answers?: number;
}

const real = () => `127.0.0.1:${nsd.port}`;
const cases: Case[] = [
  { name: 'a-udp', dns: () => ({ server: real(), name: 'www.example.test', answer: ['\\tA\\t192\\.0\\.2\\.10$', '^www\\.example\\.test\\.\\t300\\tIN\\tA\\t192\\.0\\.2\\.11$'] }), reason: null, answers: 2 },
  { name: 'a-tcp', dns: () => ({ server: real(), transport: 'tcp', name: 'www.example.test', answer: ['192\\.0\\.2\\.10$'] }), reason: null, answers: 2 },
  { name: 'a-by-host-name', dns: () => ({ server: `localhost:${nsd.port}`, name: 'www.example.test.' }), reason: null, answers: 2 },
  { name: 'aaaa', dns: () => ({ server: real(), name: 'www.example.test', type: 'AAAA', answer: ['\\tAAAA\\t2001:db8::10$'] }), reason: null, answers: 1 },
  { name: 'cname', dns: () => ({ server: real(), name: 'alias.example.test', type: 'CNAME', answer: ['\\tCNAME\\twww\\.example\\.test\\.$'] }), reason: null },
  { name: 'mx', dns: () => ({ server: real(), name: 'example.test', type: 'MX', answer: ['\\tMX\\t10 mail\\.example\\.test\\.$'] }), reason: null },
  { name: 'srv', dns: () => ({ server: real(), name: '_http._tcp.example.test', type: 'SRV', answer: ['\\tSRV\\t0 5 8080 www\\.example\\.test\\.$'] }), reason: null },
  { name: 'txt', dns: () => ({ server: real(), name: 'txt.example.test', type: 'TXT', answer: ['"v=spf1 -all"$'] }), reason: null },
  { name: 'soa', dns: () => ({ server: real(), name: 'example.test', type: 'SOA', answer: [' 2026120401 '] }), reason: null },
  {
    name: 'answer-mismatch',
    dns: () => ({ server: real(), name: 'www.example.test', answer: ['192\\.0\\.2\\.99'] }),
    reason: 'answer',
    message: /no answer record matches \/192\\\.0\\\.2\\\.99\/ \(got "www\.example\.test\.\\t300\\tIN\\tA\\t192\.0\.2\.1[01]"/,
    answers: 2,
  },
  { name: 'nodata', dns: () => ({ server: real(), name: 'www.example.test', type: 'MX', answer: ['.'] }), reason: 'answer', message: /no answer records/, answers: 0 },
  { name: 'nxdomain', dns: () => ({ server: real(), name: 'nope.example.test' }), reason: 'rcode', message: /^rcode NXDOMAIN, expected NOERROR$/, answers: 0 },
  { name: 'nxdomain-expected', dns: () => ({ server: real(), name: 'nope.example.test', rcode: 'NXDOMAIN' }), reason: null },
  { name: 'refused-zone', dns: () => ({ server: real(), name: 'www.other.test' }), reason: 'rcode', message: /^rcode REFUSED, expected NOERROR$/ },
  { name: 'truncated-udp', dns: () => ({ server: real(), name: 'many.example.test' }), reason: 'answer', message: /truncated/ },
  { name: 'truncated-then-tcp', dns: () => ({ server: real(), transport: 'tcp', name: 'many.example.test', answer: ['198\\.51\\.100\\.40$'] }), reason: null, answers: 40 },
  { name: 'udp-port-closed', dns: () => ({ server: `127.0.0.1:${closed}`, name: 'www.example.test' }), reason: 'refused' },
  { name: 'tcp-port-closed', dns: () => ({ server: `127.0.0.1:${closed}`, transport: 'tcp', name: 'www.example.test' }), reason: 'refused' },
  { name: 'server-name-unknown', dns: () => ({ server: 'nonexistent.invalid:53', name: 'www.example.test' }), reason: 'dns' },
  { name: 'servfail-udp', dns: () => ({ server: `127.0.0.1:${fake.port}`, name: 'servfail.fake.test' }), reason: 'rcode', message: /^rcode SERVFAIL, expected NOERROR$/ },
  { name: 'servfail-tcp', dns: () => ({ server: `127.0.0.1:${fake.port}`, transport: 'tcp', name: 'servfail.fake.test' }), reason: 'rcode' },
  { name: 'servfail-accepted', dns: () => ({ server: `127.0.0.1:${fake.port}`, name: 'servfail.fake.test', rcode: ['NOERROR', 'SERVFAIL'] }), reason: null },
  { name: 'wrong-id-ignored', timeout: T, dns: () => ({ server: `127.0.0.1:${fake.port}`, name: 'wrongid.fake.test' }), reason: 'timeout' },
  { name: 'wrong-id-tcp', dns: () => ({ server: `127.0.0.1:${fake.port}`, transport: 'tcp', name: 'wrongid.fake.test' }), reason: 'answer', message: /does not answer the query/ },
  { name: 'garbage', dns: () => ({ server: `127.0.0.1:${fake.port}`, name: 'garbage.fake.test' }), reason: 'answer', message: /^malformed DNS response/ },
  { name: 'other-name', dns: () => ({ server: `127.0.0.1:${fake.port}`, name: 'othername.fake.test' }), reason: 'answer', message: /is for "something\.else\.test"/ },
  { name: 'silent-udp', timeout: T, dns: () => ({ server: `127.0.0.1:${fake.port}`, name: 'silent.fake.test' }), reason: 'timeout' },
  { name: 'silent-tcp', timeout: T, dns: () => ({ server: `127.0.0.1:${fake.port}`, transport: 'tcp', name: 'silent.fake.test' }), reason: 'timeout' },
  { name: 'hangup-tcp', dns: () => ({ server: `127.0.0.1:${fake.port}`, transport: 'tcp', name: 'hangup.fake.test' }), reason: 'reset' },
];

describe('dns checks against nsd and a fake server', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const registry = newRegistry();
    const check = checkFrom(c.name, { ...(c.timeout ? { timeout: c.timeout } : {}), dns: c.dns() });
    expect(check.type).toBe('dns');
    const runner = new CheckRunner([check], registry, captureLogger());
    const result = await runner.run(check);
    expect({ success: result?.success, reason: result?.reason ?? null, message: result?.message }).toMatchObject({ success: c.reason === null, reason: c.reason });
    if (c.message) expect(result?.message).toMatch(c.message);
    expect(await metricValue(registry, 'sockeye_check_success', { check: c.name, type: 'dns' })).toBe(c.reason === null ? 1 : 0);
    if (c.reason) expect(await metricValue(registry, 'sockeye_check_failures_total', { check: c.name, reason: c.reason })).toBe(1);
    if (c.answers !== undefined) {
      expect(await metricValue(registry, 'sockeye_check_dns_answer_records', { check: c.name })).toBe(c.answers);
      expect(runner.status()[0]!.answerRecords).toBe(c.answers);
    }
  });

  it("zeroes at start the failure reasons a dns check can have, and not the others' reasons", async () => {
    const registry = newRegistry();
    const check = checkFrom('fresh', { dns: { server: real(), name: 'www.example.test' } });
    new CheckRunner([check], registry, captureLogger());
    for (const reason of ['timeout', 'refused', 'reset', 'dns', 'rcode', 'answer']) expect(await metricValue(registry, 'sockeye_check_failures_total', { check: 'fresh', reason }), reason).toBe(0);
    for (const reason of ['status', 'body', 'expect', 'not_serving', 'tls']) expect(await metricValue(registry, 'sockeye_check_failures_total', { check: 'fresh', reason }), reason).toBeUndefined();
  });

  it('leaves no socket behind: 10 rounds of six outcomes end with the fds they started with', async () => {
    const checks = [
      checkFrom('udp-ok', { dns: { server: real(), name: 'www.example.test' } }),
      checkFrom('tcp-ok', { dns: { server: real(), transport: 'tcp', name: 'www.example.test' } }),
      checkFrom('udp-silent', { timeout: '300ms', dns: { server: `127.0.0.1:${fake.port}`, name: 'silent.fake.test' } }),
      checkFrom('tcp-silent', { timeout: '300ms', dns: { server: `127.0.0.1:${fake.port}`, transport: 'tcp', name: 'silent.fake.test' } }),
      checkFrom('udp-refused', { dns: { server: `127.0.0.1:${closed}`, name: 'www.example.test' } }),
      checkFrom('tcp-hangup', { dns: { server: `127.0.0.1:${fake.port}`, transport: 'tcp', name: 'hangup.fake.test' } }),
    ];
    const runner = new CheckRunner(checks, newRegistry(), captureLogger());
    for (const c of checks) await runner.run(c);
    const settle = () => new Promise((r) => setTimeout(r, 200));
    await settle();
    const before = openFds();
    for (let i = 0; i < 10; i++) await Promise.all(checks.map((c) => runner.run(c)));
    // The fake server's ends of the TCP connections close a moment after ours.
    await settle();
    expect(openFds()).toBe(before);
    expect(runner.status().map((s) => s.reason)).toEqual([null, null, 'timeout', 'timeout', 'refused', 'reset']);
  });

  it('exports no answer count when no response came', async () => {
    const registry = newRegistry();
    const check = checkFrom('none', { dns: { server: `127.0.0.1:${closed}`, name: 'www.example.test' } });
    await new CheckRunner([check], registry, captureLogger()).run(check);
    expect(await metricValue(registry, 'sockeye_check_dns_answer_records', { check: 'none' })).toBeUndefined();
  });

  it('describes the target without guessing: transport, server, name and type', () => {
    const check = checkFrom('d', { dns: { server: '127.0.0.1', transport: 'tcp', name: 'www.example.test', type: 'AAAA' } });
    expect(check.dns!.server).toEqual({ host: '127.0.0.1', port: 53 });
    const runner = new CheckRunner([check], newRegistry(), captureLogger());
    expect(runner.status()[0]!.target).toBe('www.example.test AAAA via tcp://127.0.0.1:53');
  });
});
