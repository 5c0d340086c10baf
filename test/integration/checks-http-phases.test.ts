import http from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckRunner } from '../../src/checks/runner.js';
import { HTTP_PHASES, type HttpPhases } from '../../src/checks/types.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { captureLogger } from '../support/collection.js';
import { checkFrom, metricValue, newRegistry } from './checks-support.js';

// Per-phase durations of http checks against real servers that delay the
// response head and the body by known amounts. The assertions bracket the
// delays with the run's own measurements (never with wall-clock bounds):
// processing holds the head's delay and not the body's, transfer the body's.

const HEAD_DELAY = 0.3;
const BODY_DELAY = 0.25;
// A timer may fire up to a millisecond early against performance.now().
const SLACK = 0.002;

const held = new Set<Socket>();
const app: http.RequestListener = (req, res) => {
  if (req.url === '/redirect') {
    res.writeHead(302, { location: '/slow' });
    return void res.end();
  }
  if (req.url === '/never') return; // no head at all: the check times out in processing
  setTimeout(() => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
    res.flushHeaders();
    setTimeout(() => res.end('ok'), BODY_DELAY * 1000);
  }, HEAD_DELAY * 1000);
};

let certs: TestCerts;
let plain: http.Server;
let secure: https.Server;
const portOf = (s: http.Server) => (s.address() as AddressInfo).port;

beforeAll(async () => {
  certs = makeCerts();
  plain = http.createServer(app);
  secure = https.createServer({ key: certs.valid.key, cert: certs.valid.cert }, app);
  for (const s of [plain, secure]) {
    s.on('connection', (c: Socket) => {
      held.add(c);
      c.on('close', () => held.delete(c));
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  }
});
afterAll(async () => {
  for (const c of held) c.destroy();
  await Promise.all([plain, secure].map((s) => new Promise((r) => s?.close(r))));
  certs?.cleanup();
});

async function run(name: string, httpConfig: Record<string, unknown>, timeout?: string) {
  const registry = newRegistry();
  const check = checkFrom(name, { ...(timeout ? { timeout } : {}), http: httpConfig });
  const runner = new CheckRunner([check], registry, captureLogger());
  const result = (await runner.run(check))!;
  const phases = runner.status()[0]!.phases!;
  const exported = Object.fromEntries(await Promise.all(HTTP_PHASES.map(async (p) => [p, await metricValue(registry, 'sockeye_check_http_duration_seconds', { check: name, phase: p })]))) as HttpPhases;
  return { result, phases, exported };
}

const sum = (p: HttpPhases) => HTTP_PHASES.reduce((a, k) => a + p[k], 0);

/** The delays fall in the phases they belong to, and the phases add up to no more than the run. */
function expectBracketed(phases: HttpPhases, duration: number): void {
  const total = sum(phases);
  expect(total).toBeLessThanOrEqual(duration);
  expect(phases.processing).toBeGreaterThanOrEqual(HEAD_DELAY - SLACK);
  expect(phases.processing).toBeLessThanOrEqual(total - phases.transfer);
  expect(phases.transfer).toBeGreaterThanOrEqual(BODY_DELAY - SLACK);
  // The body's delay is not in processing, nor the head's in transfer.
  expect(phases.processing).toBeLessThan(total - (BODY_DELAY - SLACK));
  expect(phases.transfer).toBeLessThan(total - (HEAD_DELAY - SLACK));
}

describe('http check phases', () => {
  it('http to an IP literal: no resolve, no tls; the head delay in processing, the body delay in transfer', async () => {
    const { result, phases, exported } = await run('plain-ip', { url: `http://127.0.0.1:${portOf(plain)}/slow`, body: '^ok$' });
    expect(result.success).toBe(true);
    expect(phases.resolve).toBe(0);
    expect(phases.tls).toBe(0);
    expect(phases.connect).toBeGreaterThan(0);
    expectBracketed(phases, result.durationSeconds);
    expect(exported).toEqual(phases);
  });

  it('http to a host name: resolve is the lookup', async () => {
    // localhost may resolve to ::1 first, where nothing listens: Node tries the next address.
    const { result, phases } = await run('plain-name', { url: `http://localhost:${portOf(plain)}/slow` });
    expect(result.success, result.message).toBe(true);
    expect(phases.resolve).toBeGreaterThan(0);
    expectBracketed(phases, result.durationSeconds);
  });

  it('https: the handshake in tls, then processing and transfer as for http', async () => {
    const { result, phases, exported } = await run('secure', { url: `https://127.0.0.1:${portOf(secure)}/slow`, caFile: certs.caFile, serverName: 'localhost' });
    expect(result.success, result.message).toBe(true);
    expect(phases.resolve).toBe(0);
    expect(phases.connect).toBeGreaterThan(0);
    expect(phases.tls).toBeGreaterThan(0);
    expectBracketed(phases, result.durationSeconds);
    expect(exported).toEqual(phases);
  });

  it('redirects: the phases of every hop are summed, as blackbox_exporter does', async () => {
    const { result, phases } = await run('redirect', { url: `http://127.0.0.1:${portOf(plain)}/redirect`, followRedirects: true });
    expect(result.success).toBe(true);
    expectBracketed(phases, result.durationSeconds);
  });

  it('a timeout waiting for the head counts the wait in processing and nothing in transfer', async () => {
    const { result, phases, exported } = await run('never', { url: `http://127.0.0.1:${portOf(plain)}/never` }, '400ms');
    expect(result.reason).toBe('timeout');
    expect(phases.transfer).toBe(0);
    expect(phases.resolve + phases.connect + phases.processing).toBeGreaterThanOrEqual(0.4 - SLACK);
    expect(phases.processing).toBeGreaterThan(phases.connect);
    expect(sum(phases)).toBeLessThanOrEqual(result.durationSeconds);
    expect(exported).toEqual(phases);
  });

  it('a refused connection ends in connect', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = portOf(closed);
    await new Promise((r) => closed.close(r));
    const { result, phases } = await run('refused', { url: `http://127.0.0.1:${port}/` });
    expect(result.reason).toBe('refused');
    expect(phases.connect).toBeGreaterThan(0);
    expect(phases.processing + phases.transfer + phases.tls).toBe(0);
  });

  it('only http checks export phases', async () => {
    const registry = newRegistry();
    const check = checkFrom('tcp', { tcp: { address: `127.0.0.1:${portOf(plain)}` } });
    const runner = new CheckRunner([check], registry, captureLogger());
    await runner.run(check);
    expect(runner.status()[0]!.phases).toBeNull();
    expect(await metricValue(registry, 'sockeye_check_http_duration_seconds', { check: 'tcp', phase: 'connect' })).toBeUndefined();
  });
});
