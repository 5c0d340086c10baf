import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckRunner } from '../../src/checks/runner.js';
import type { CheckConfig } from '../../src/config/checks.js';
import { startHostileServers, type HostileServers } from './checks-servers.js';
import { checkFrom, metricValue, newRegistry } from './checks-support.js';
import { captureLogger } from '../support/collection.js';

// Every prober against real servers on 127.0.0.1 (in a child process), each
// failure with the reason an on-call engineer would expect.
let srv: HostileServers;
beforeAll(async () => {
  srv = await startHostileServers();
});
afterAll(async () => {
  await srv?.stop();
});

const T = '700ms';

interface Case {
  name: string;
  check: () => Record<string, unknown>;
  reason: string | null;
}

const url = (port: number, path: string, scheme = 'http') => `${scheme}://127.0.0.1:${port}${path}`;
const ca = () => srv.certs.caFile;

const cases: Case[] = [
  { name: 'http-ok', check: () => ({ http: { url: url(srv.ports.http, '/health'), status: [200], body: '^ok$' } }), reason: null },
  { name: 'http-status', check: () => ({ http: { url: url(srv.ports.http, '/error') } }), reason: 'status' },
  { name: 'http-body', check: () => ({ http: { url: url(srv.ports.http, '/body'), body: 'ok' } }), reason: 'body' },
  { name: 'http-refused', check: () => ({ http: { url: url(srv.ports.refused, '/') } }), reason: 'refused' },
  { name: 'http-silent', check: () => ({ timeout: T, http: { url: url(srv.ports.silent, '/') } }), reason: 'timeout' },
  { name: 'http-headers-stall', check: () => ({ timeout: T, http: { url: url(srv.ports.headersStall, '/') } }), reason: 'timeout' },
  { name: 'http-reset-mid-body', check: () => ({ http: { url: url(srv.ports.resetMidBody, '/') } }), reason: 'reset' },
  { name: 'http-redirect-not-followed', check: () => ({ http: { url: url(srv.ports.http, '/redirect') } }), reason: 'status' },
  { name: 'http-redirect-followed', check: () => ({ http: { url: url(srv.ports.http, '/redirect'), followRedirects: true, body: 'ok' } }), reason: null },
  { name: 'http-redirect-loop', check: () => ({ http: { url: url(srv.ports.http, '/loop'), followRedirects: true } }), reason: 'status' },
  { name: 'http-basic-auth', check: () => ({ http: { url: `http://user:pass@127.0.0.1:${srv.ports.http}/auth` } }), reason: null },
  { name: 'https-ca', check: () => ({ http: { url: url(srv.ports.https, '/health', 'https'), caFile: ca(), serverName: 'localhost' } }), reason: null },
  { name: 'https-untrusted', check: () => ({ http: { url: url(srv.ports.https, '/health', 'https') } }), reason: 'tls' },
  { name: 'https-insecure', check: () => ({ http: { url: url(srv.ports.https, '/health', 'https'), insecureSkipVerify: true } }), reason: null },
  { name: 'https-expired', check: () => ({ http: { url: url(srv.ports.expired, '/health', 'https'), caFile: ca() } }), reason: 'tls' },
  { name: 'https-wrong-host', check: () => ({ http: { url: url(srv.ports.wrongHost, '/health', 'https'), caFile: ca(), serverName: 'localhost' } }), reason: 'tls' },
  { name: 'https-5mb-capped', check: () => ({ http: { url: url(srv.ports.https, '/big', 'https'), caFile: ca(), maxBodyBytes: 65536 } }), reason: 'body' },
  { name: 'https-5mb-read', check: () => ({ timeout: '9s', http: { url: url(srv.ports.https, '/big', 'https'), caFile: ca(), maxBodyBytes: 8_000_000, body: 'x{1000}' } }), reason: null },
  {
    name: 'tcp-party',
    check: () => ({ tcp: { address: `127.0.0.1:${srv.ports.party}`, conversation: [{ expect: 'PLSAUTH' }, { send: '{"cmd":"RING"}\\r\\n' }, { expect: 'AHOY-HOY' }] } }),
    reason: null,
  },
  { name: 'tcp-no-match-open', check: () => ({ timeout: T, tcp: { address: `127.0.0.1:${srv.ports.party}`, conversation: [{ expect: 'NOPE' }] } }), reason: 'timeout' },
  { name: 'tcp-no-match-eof', check: () => ({ tcp: { address: `127.0.0.1:${srv.ports.wrongGreeting}`, conversation: [{ expect: 'PLSAUTH' }] } }), reason: 'expect' },
  { name: 'tcp-silent', check: () => ({ timeout: T, tcp: { address: `127.0.0.1:${srv.ports.silent}`, conversation: [{ expect: 'PLSAUTH' }] } }), reason: 'timeout' },
  { name: 'tcp-refused', check: () => ({ tcp: { address: `127.0.0.1:${srv.ports.refused}` } }), reason: 'refused' },
  {
    name: 'tcp-tls-party',
    check: () => ({ tcp: { address: `127.0.0.1:${srv.ports.tlsParty}`, tls: { caFile: ca(), serverName: 'localhost' }, conversation: [{ expect: 'PLSAUTH' }, { send: 'RING\\n' }, { expect: 'AHOY-HOY' }] } }),
    reason: null,
  },
  { name: 'tcp-tls-untrusted', check: () => ({ tcp: { address: `127.0.0.1:${srv.ports.tlsParty}`, tls: true } }), reason: 'tls' },
  { name: 'tls-ok', check: () => ({ tls: { address: `127.0.0.1:${srv.ports.https}`, caFile: ca(), serverName: 'localhost', minValidDays: 14 } }), reason: null },
  { name: 'tls-min-valid-days', check: () => ({ tls: { address: `127.0.0.1:${srv.ports.https}`, caFile: ca(), serverName: 'localhost', minValidDays: 60 } }), reason: 'tls' },
  { name: 'tls-expired', check: () => ({ tls: { address: `127.0.0.1:${srv.ports.expired}`, caFile: ca(), serverName: 'localhost' } }), reason: 'tls' },
  { name: 'tls-wrong-host', check: () => ({ tls: { address: `127.0.0.1:${srv.ports.wrongHost}`, caFile: ca(), serverName: 'localhost' } }), reason: 'tls' },
  { name: 'tls-handshake-never-completes', check: () => ({ timeout: T, tls: { address: `127.0.0.1:${srv.ports.silent}` } }), reason: 'timeout' },
  { name: 'tls-refused', check: () => ({ tls: { address: `127.0.0.1:${srv.ports.refused}` } }), reason: 'refused' },
];

describe('probers against real servers', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const registry = newRegistry();
    const log = captureLogger();
    const check = checkFrom(c.name, c.check());
    const runner = new CheckRunner([check], registry, log);
    const result = await runner.run(check);
    // A run that did not happen (undefined) has no success to compare.
    expect(result?.success).toBe(c.reason === null);
    expect({ reason: result?.reason ?? null, message: result?.message }).toMatchObject({ reason: c.reason });
    expect(await metricValue(registry, 'sockeye_check_success', { check: c.name, type: check.type })).toBe(c.reason === null ? 1 : 0);
    expect(await metricValue(registry, 'sockeye_check_runs_total', { check: c.name, result: c.reason === null ? 'success' : 'failure' })).toBe(1);
    if (c.reason) expect(await metricValue(registry, 'sockeye_check_failures_total', { check: c.name, reason: c.reason })).toBe(1);
  });
});

describe('certificate expiry', () => {
  async function expiryOf(check: CheckConfig): Promise<number | undefined> {
    const registry = newRegistry();
    const runner = new CheckRunner([check], registry, captureLogger());
    await runner.run(check);
    return metricValue(registry, 'sockeye_check_tls_cert_expiry_timestamp_seconds', { check: check.name });
  }

  it('exports the earliest expiry of the presented chain for tls, https and tcp+tls checks', async () => {
    // The leaf (30 days) expires before the CA (10 years).
    const want = srv.certs.validNotAfterMs / 1000;
    expect(await expiryOf(checkFrom('t', { tls: { address: `127.0.0.1:${srv.ports.https}`, caFile: ca(), serverName: 'localhost' } }))).toBe(want);
    expect(await expiryOf(checkFrom('h', { http: { url: url(srv.ports.https, '/health', 'https'), caFile: ca() } }))).toBe(want);
    expect(await expiryOf(checkFrom('p', { tcp: { address: `127.0.0.1:${srv.ports.tlsParty}`, tls: { caFile: ca(), serverName: 'localhost' } } }))).toBe(want);
  });

  it('still reports the expiry of an expired certificate that fails verification', async () => {
    expect(await expiryOf(checkFrom('e', { tls: { address: `127.0.0.1:${srv.ports.expired}`, caFile: ca() } }))).toBe(Date.parse('2020-02-01T00:00:00Z') / 1000);
  });
});

describe('credentials stay out of logs, labels and status', () => {
  it('redacts userinfo and token query values', async () => {
    const registry = newRegistry();
    const log = captureLogger();
    // A wrong password: the check fails (401) and logs its failure.
    const check = checkFrom('secret-url', { http: { url: `http://user:hunter2secret@127.0.0.1:${srv.ports.http}/auth?token=tok3nvalue&x=1` } });
    const runner = new CheckRunner([check], registry, log);
    const result = await runner.run(check);
    expect(result!.reason).toBe('status');
    expect(log.lines.some((l) => l.level === 'warn' && l.msg === 'check failed')).toBe(true);
    const everything = [JSON.stringify(log.lines), await registry.metrics(), JSON.stringify(runner.status())].join('\n');
    expect(everything).not.toContain('hunter2secret');
    expect(everything).not.toContain('tok3nvalue');
    expect(runner.status()[0]!.target).toBe(`GET http://***@127.0.0.1:${srv.ports.http}/auth?token=***&x=1`);
  });
});

describe('IPv6 loopback', () => {
  it('probes http://[::1] and tcp [::1]:port', async () => {
    const http = await import('node:http');
    const server = http.createServer((_req, res) => res.end('ok6'));
    await new Promise<void>((r) => server.listen(0, '::1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const checks = [checkFrom('v6-http', { http: { url: `http://[::1]:${port}/`, body: '^ok6$' } }), checkFrom('v6-tcp', { tcp: { address: `[::1]:${port}`, conversation: [{ send: 'GET / HTTP/1.0\\r\\n\\r\\n' }, { expect: 'ok6' }] } })];
      const runner = new CheckRunner(checks, newRegistry(), captureLogger());
      for (const c of checks) expect(await runner.run(c), c.name).toMatchObject({ success: true });
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
