import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { statusReportSchema } from '../../src/status/schema.js';

// The status routes of a real app (real checker, heartbeats, registry),
// through app.inject: auth, switching off, and the documented schema.

const schema = JSON.parse(readFileSync(new URL('../../docs/status.schema.json', import.meta.url), 'utf8')) as object;
const ajv = new Ajv2020({ allErrors: true, strict: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

const stateDir = mkdtempSync(join(tmpdir(), 'sockeye-status-api-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

async function app(yaml: string): Promise<FastifyInstance> {
  const a = await buildApp(parseConfig(yaml, { env: {} }), { logger: false });
  apps.push(a);
  await a.ready();
  return a;
}

const TOKEN = 'status-page-token-5f3a';

describe('GET /api/status', () => {
  it('answers JSON that validates against docs/status.schema.json and the zod schema', async () => {
    const a = await app(`
stateDir: ${JSON.stringify(stateDir)}
targets: [{ name: me, match: { pid: ${process.pid} } }]
checks:
  - { name: closed-port, every: 1h, timeout: 1s, tcp: { address: "127.0.0.1:1" } }
heartbeats:
  - { name: nightly, period: 1d }
`);
    const res = await a.inject('/api/status');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    const body = res.json();
    const ok = validate(body);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(statusReportSchema.parse(body)).toEqual(body);
    expect(body.checks.map((c: { name: string }) => c.name)).toEqual(['closed-port']);
    expect(body.heartbeats).toMatchObject([{ name: 'nightly', state: 'never', periodSeconds: 86400, graceSeconds: 8640 }]);
    // The same collection as /metrics: this test process as target "me".
    expect(body.targets).toHaveLength(1);
    expect(body.targets[0]).toMatchObject({ name: 'me', pids: [process.pid], processes: 1, readable: true });
    expect(body.targets[0].openFds).toBeGreaterThan(0);
    expect(body.sockeye.pid).toBe(process.pid);
    expect(body.sockeye.openFds).toBeGreaterThan(0);
  });

  it('the schema rejects what the API must never send (an undocumented field, a wrong state)', () => {
    const good = statusReportSchema.parse({
      version: '1',
      generatedAt: '2026-01-01T00:00:00.000Z',
      startedAt: '2026-01-01T00:00:00.000Z',
      severity: 'ok',
      problems: [],
      scheduler: { severity: 'ok', running: true, lastTickAt: null, ageSeconds: null, staleAfterSeconds: 10 },
      sockeye: { pid: 1, openFds: 1, maxFds: 2, residentMemoryBytes: 3, uptimeSeconds: 4 },
      targets: [],
      checks: [],
      heartbeats: [],
    });
    expect(validate(good)).toBe(true);
    expect(validate({ ...good, token: 'x' })).toBe(false);
    expect(validate({ ...good, severity: 'fine' })).toBe(false);
  });
});

describe('statusPage config', () => {
  it('is served at / as one HTML document with a CSP allowing nothing external', async () => {
    const a = await app('targets: []');
    const res = await a.inject('/');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|https?:/);
    // Self-contained: no src= or href= pointing anywhere but our own relative API and data: URLs.
    const refs = [...res.body.matchAll(/\b(?:src|href)="([^"]*)"/g)].map((m) => m[1]);
    expect(refs.every((r) => r === 'api/status' || r!.startsWith('data:'))).toBe(true);
  });

  it('enabled: false removes / and /api/status', async () => {
    const a = await app('statusPage: { enabled: false }\ntargets: []');
    expect((await a.inject('/')).statusCode).toBe(404);
    expect((await a.inject('/api/status')).statusCode).toBe(404);
    expect((await a.inject('/readyz')).statusCode).toBe(200);
  });

  it('token: both routes need it, as Bearer or ?token=, and 401 says why in JSON', async () => {
    const a = await app(`statusPage: { token: "${TOKEN}" }\ntargets: []`);
    for (const url of ['/', '/api/status']) {
      const none = await a.inject(url);
      expect(none.statusCode).toBe(401);
      expect(none.json()).toEqual({ error: 'unauthorized', reason: 'this status page needs a token: Authorization: Bearer <token> or ?token=<token>' });
      expect(none.headers['www-authenticate']).toBe('Bearer realm="sockeye status"');

      const wrong = await a.inject({ url, headers: { authorization: `Bearer ${TOKEN}x` } });
      expect(wrong.statusCode).toBe(401);
      expect(wrong.json()).toEqual({ error: 'unauthorized', reason: 'wrong token' });
      expect((await a.inject(`${url}?token=${TOKEN.slice(0, -1)}`)).statusCode).toBe(401);

      const bearer = await a.inject({ url, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(bearer.statusCode).toBe(200);
      expect(bearer.body).not.toContain(TOKEN);
      const query = await a.inject(`${url}?token=${encodeURIComponent(TOKEN)}`);
      expect(query.statusCode).toBe(200);
      expect(query.body).not.toContain(TOKEN);
    }
    // The token guards the page only: metrics and health stay open for Prometheus and the orchestrator.
    expect((await a.inject('/readyz')).statusCode).toBe(200);
  });

  it('rejects a short or non-string token naming the key, without echoing it', () => {
    expect(() => parseConfig('statusPage: { token: "short" }', { env: {} })).toThrow(/statusPage\.token: must be at least 8 characters/);
    let message = '';
    try {
      parseConfig('statusPage: { token: 123456789 }', { env: {} });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('statusPage.token: expected a token string (quote it in YAML)');
    expect(message).not.toContain('123456789');
  });
});
