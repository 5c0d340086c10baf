import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckRunner } from '../../src/checks/runner.js';
import { captureLogger } from '../support/collection.js';
import { freePort } from '../support/sockeye.js';
import { startServerChild, type ServerChild } from './checks-servers.js';
import { checkFrom, metricValue, newRegistry, openFds } from './checks-support.js';

// grpc checks (grpc.health.v1.Health/Check) against real grpc-js servers with
// the health service of grpc-health-check, in a child process: plaintext and
// TLS, SERVING / NOT_SERVING / unknown service / no health service / unreachable.

interface GrpcPorts {
  plain: number;
  tls: number;
  tlsExpired: number;
  tlsWrongHost: number;
  noHealth: number;
}

let srv: ServerChild<GrpcPorts>;
let closed: number;
let silent: Server;
const held = new Set<Socket>();
beforeAll(async () => {
  [srv, closed] = await Promise.all([startServerChild<GrpcPorts>('./checks-grpc.child.ts'), freePort()]);
  // Accepts, reads and never answers: no HTTP/2 settings, so the call runs
  // into the timeout. It hangs up when the client does, so that its own
  // sockets (in this process) leave the fd count once the prober's are closed.
  silent = createServer((s) => {
    held.add(s);
    s.on('close', () => held.delete(s));
    s.on('error', () => undefined);
    s.resume();
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((r) => silent?.close(r));
  await srv?.stop();
});

const T = '700ms';
const silentPort = () => (silent.address() as { port: number }).port;
const at = (port: number) => `127.0.0.1:${port}`;
const tls = (extra: Record<string, unknown> = {}) => ({ caFile: srv.certs.caFile, serverName: 'localhost', ...extra });

interface Case {
  name: string;
  grpc: () => Record<string, unknown>;
  timeout?: string;
  reason: string | null;
  message?: RegExp;
}

const cases: Case[] = [
  { name: 'server-serving', grpc: () => ({ address: at(srv.ports.plain) }), reason: null },
  { name: 'by-host-name', grpc: () => ({ address: `localhost:${srv.ports.plain}` }), reason: null },
  { name: 'tls-by-host-name', grpc: () => ({ address: `localhost:${srv.ports.tls}`, tls: { caFile: srv.certs.caFile } }), reason: null },
  { name: 'service-serving', grpc: () => ({ address: at(srv.ports.plain), service: 'app.Serving' }), reason: null },
  { name: 'service-not-serving', grpc: () => ({ address: at(srv.ports.plain), service: 'app.Down' }), reason: 'not_serving', message: /^service "app\.Down" is NOT_SERVING$/ },
  { name: 'service-status-unknown', grpc: () => ({ address: at(srv.ports.plain), service: 'app.Unknown' }), reason: 'not_serving', message: /is UNKNOWN$/ },
  { name: 'service-unknown', grpc: () => ({ address: at(srv.ports.plain), service: 'app.Missing' }), reason: 'not_serving', message: /^service "app\.Missing" is unknown to the server \(NOT_FOUND\)$/ },
  { name: 'no-health-service', grpc: () => ({ address: at(srv.ports.noHealth) }), reason: 'status', message: /^UNIMPLEMENTED/ },
  { name: 'unreachable', grpc: () => ({ address: at(closed) }), reason: 'refused', message: /ECONNREFUSED/ },
  { name: 'silent', timeout: T, grpc: () => ({ address: at(silentPort()) }), reason: 'timeout' },
  { name: 'tls-serving', grpc: () => ({ address: at(srv.ports.tls), service: 'app.Serving', tls: tls() }), reason: null },
  { name: 'tls-not-serving', grpc: () => ({ address: at(srv.ports.tls), service: 'app.Down', tls: tls() }), reason: 'not_serving' },
  { name: 'tls-untrusted', grpc: () => ({ address: at(srv.ports.tls), tls: true }), reason: 'tls', message: /^certificate not trusted: UNABLE_TO_VERIFY_LEAF_SIGNATURE$/ },
  { name: 'tls-insecure', grpc: () => ({ address: at(srv.ports.tls), tls: { insecureSkipVerify: true } }), reason: null },
  { name: 'tls-expired', grpc: () => ({ address: at(srv.ports.tlsExpired), tls: tls() }), reason: 'tls', message: /^certificate not trusted: CERT_HAS_EXPIRED$/ },
  { name: 'tls-wrong-host', grpc: () => ({ address: at(srv.ports.tlsWrongHost), tls: tls() }), reason: 'tls', message: /^certificate not trusted: ERR_TLS_CERT_ALTNAME_INVALID$/ },
  { name: 'tls-ip-without-server-name', grpc: () => ({ address: at(srv.ports.tls), tls: { caFile: srv.certs.caFile } }), reason: null },
  { name: 'tls-ca-file-missing', grpc: () => ({ address: at(srv.ports.tls), tls: { caFile: '/nonexistent/ca.pem' } }), reason: 'tls', message: /^cannot read caFile \/nonexistent\/ca\.pem: ENOENT$/ },
  { name: 'tls-against-plaintext', grpc: () => ({ address: at(srv.ports.plain), tls: tls() }), reason: 'tls' },
  { name: 'plaintext-against-tls', grpc: () => ({ address: at(srv.ports.tls) }), reason: 'reset' },
];

describe('grpc health checks against real grpc-js servers', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', async (_n, c) => {
    const registry = newRegistry();
    const check = checkFrom(c.name, { ...(c.timeout ? { timeout: c.timeout } : {}), grpc: c.grpc() });
    expect(check.type).toBe('grpc');
    const runner = new CheckRunner([check], registry, captureLogger());
    const result = await runner.run(check);
    expect({ success: result?.success, reason: result?.reason ?? null, message: result?.message }).toMatchObject({ success: c.reason === null, reason: c.reason });
    if (c.message) expect(result?.message).toMatch(c.message);
    expect(await metricValue(registry, 'sockeye_check_success', { check: c.name, type: 'grpc' })).toBe(c.reason === null ? 1 : 0);
    if (c.reason) expect(await metricValue(registry, 'sockeye_check_failures_total', { check: c.name, reason: c.reason })).toBe(1);
  });

  it('exports the expiry of the certificate a TLS server presented, also of an expired one that fails verification', async () => {
    const expiry = async (port: number) => {
      const registry = newRegistry();
      const check = checkFrom('expiry', { grpc: { address: at(port), tls: tls() } });
      await new CheckRunner([check], registry, captureLogger()).run(check);
      return metricValue(registry, 'sockeye_check_tls_cert_expiry_timestamp_seconds', { check: 'expiry' });
    };
    expect(await expiry(srv.ports.tls)).toBe(srv.certs.validNotAfterMs / 1000);
    expect(await expiry(srv.ports.tlsExpired)).toBe(Date.parse('2020-02-01T00:00:00Z') / 1000);
  });

  it('leaves no socket behind: 12 rounds of five outcomes end with the fds they started with', async () => {
    const checks = [
      checkFrom('ok', { grpc: { address: at(srv.ports.plain) } }),
      checkFrom('down', { grpc: { address: at(srv.ports.plain), service: 'app.Down' } }),
      checkFrom('tls', { grpc: { address: at(srv.ports.tls), tls: tls() } }),
      checkFrom('refused', { grpc: { address: at(closed) } }),
      checkFrom('hang', { timeout: '300ms', grpc: { address: at(silentPort()) } }),
    ];
    const runner = new CheckRunner(checks, newRegistry(), captureLogger());
    // One warm-up round: grpc-js and the certificates are loaded once.
    for (const c of checks) await runner.run(c);
    const settle = () => new Promise((r) => setTimeout(r, 200));
    await settle();
    const before = openFds();
    for (let i = 0; i < 12; i++) await Promise.all(checks.map((c) => runner.run(c)));
    // Sockets are closed by the time the run settles; the servers' ends a moment later.
    await settle();
    expect(openFds()).toBe(before);
    expect(runner.status().map((s) => s.lastResult)).toEqual(['success', 'failure', 'success', 'failure', 'failure']);
  });
});
