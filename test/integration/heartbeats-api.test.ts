import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { STATE_FILE_NAME } from '../../src/heartbeats/index.js';
import { metricValue } from './checks-support.js';

const TOKEN = 'sekrit-token-123';
const apps: FastifyInstance[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function stateDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'sockeye-hb-'));
  dirs.push(d);
  return d;
}

async function app(dir: string, heartbeats = `
  - name: backup
    period: 1d
    grace: 1h
    token: ${TOKEN}
  - name: open
    period: 1h
`): Promise<FastifyInstance> {
  const config = parseConfig(`targets: []\nstateDir: ${JSON.stringify(dir)}\nheartbeats:${heartbeats}`, { env: {} });
  const a = await buildApp(config, { logger: false });
  apps.push(a);
  await a.ready();
  return a;
}

const bearer = { authorization: `Bearer ${TOKEN}` };

describe('ping API', () => {
  it('records success, start, fail and exit statuses with GET and POST, durably', async () => {
    const dir = stateDir();
    const a = await app(dir);
    const ok = async (method: 'GET' | 'POST', url: string, extra: Record<string, unknown> = {}) => {
      const res = await a.inject({ method, url, ...extra });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(200);
      expect(res.body).toBe('OK');
    };
    await ok('GET', '/ping/open/start');
    await ok('POST', '/ping/open', { payload: 'job output\n', headers: { 'content-type': 'text/plain' } });
    await ok('POST', '/ping/open/0', { payload: 'a=1&b=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await ok('GET', '/ping/open/fail');
    await ok('POST', '/ping/open/3', { payload: '{"not":"parsed"', headers: { 'content-type': 'application/json' } });
    await ok('GET', `/ping/backup?token=${TOKEN}`);
    await ok('POST', '/ping/backup/start', { headers: bearer });

    const metrics = (await a.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/sockeye_heartbeat_pings_total\{heartbeat="open",kind="success"\} 2\n/);
    expect(metrics).toMatch(/sockeye_heartbeat_pings_total\{heartbeat="open",kind="fail"\} 2\n/);
    expect(metrics).toMatch(/sockeye_heartbeat_pings_total\{heartbeat="open",kind="start"\} 1\n/);
    expect(metrics).toMatch(/sockeye_heartbeat_pings_total\{heartbeat="backup",kind="success"\} 1\n/);
    expect(metrics).toMatch(/sockeye_heartbeat_period_seconds\{heartbeat="backup"\} 86400\n/);
    expect(metrics).toMatch(/sockeye_heartbeat_grace_seconds\{heartbeat="backup"\} 3600\n/);
    expect(metrics).toMatch(/sockeye_heartbeat_grace_seconds\{heartbeat="open"\} 360\n/);
    expect(metrics).toMatch(/sockeye_heartbeat_last_ping_timestamp_seconds\{heartbeat="open",kind="fail"\} \d{10}/);
    expect(metrics).toMatch(/sockeye_heartbeat_last_duration_seconds\{heartbeat="open"\} [\d.e-]+\n/);
    expect(metrics).not.toContain(TOKEN);

    // Acknowledged means on disk.
    const stored = JSON.parse(readFileSync(join(dir, STATE_FILE_NAME), 'utf8'));
    expect(stored.heartbeats.open.counts).toEqual({ success: 2, start: 1, fail: 2 });
    expect(stored.heartbeats.open.lastExitStatus).toBe(3);
    expect(JSON.stringify(stored)).not.toContain(TOKEN);
    expect(JSON.stringify(stored)).not.toContain('job output');
  });

  it.each([
    ['unknown heartbeat', 'GET', '/ping/nope', {}, 404, /unknown heartbeat "nope"/],
    ['unknown action', 'GET', '/ping/open/restart', {}, 404, /unknown ping action "restart"/],
    ['exit status out of range', 'GET', '/ping/open/256', {}, 404, /unknown ping action/],
    ['missing token', 'GET', '/ping/backup', {}, 401, /token/],
    ['wrong token in the query', 'GET', '/ping/backup?token=wrong-token-123', {}, 401, /token/],
    ['wrong bearer token', 'POST', '/ping/backup', { headers: { authorization: 'Bearer sekrit-token-12' } }, 401, /token/],
    ['body over 10 KB', 'POST', '/ping/open', { payload: 'x'.repeat(10 * 1024 + 1), headers: { 'content-type': 'text/plain' } }, 413, /larger than 10240 bytes/],
  ] as const)('%s: 4xx with a JSON reason', async (_name, method, url, extra, status, reason) => {
    const a = await app(stateDir());
    const res = await a.inject({ method, url, ...extra });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json().error).toMatch(reason);
    // A refused ping changes nothing.
    const m = (await a.inject({ method: 'GET', url: '/metrics' })).body;
    expect(m).not.toMatch(/sockeye_heartbeat_pings_total\{[^}]*\} [1-9]/);
  });

  it('does not count HEAD requests as pings', async () => {
    const a = await app(stateDir());
    const res = await a.inject({ method: 'HEAD', url: '/ping/open' });
    expect(res.statusCode).toBe(404);
  });
});

describe('state across restarts', () => {
  it('restores timestamps and counts, drops heartbeats removed from the config', async () => {
    const dir = stateDir();
    const first = await app(dir);
    for (let i = 0; i < 3; i++) expect((await first.inject({ method: 'GET', url: '/ping/open' })).statusCode).toBe(200);
    expect((await first.inject({ method: 'GET', url: '/ping/backup', headers: bearer })).statusCode).toBe(200);
    const before = JSON.parse(readFileSync(join(dir, STATE_FILE_NAME), 'utf8'));
    await first.close();

    const second = await app(dir, '\n  - name: open\n    period: 1h\n');
    // Dropped from the file at start, not only at the next ping.
    expect(Object.keys(JSON.parse(readFileSync(join(dir, STATE_FILE_NAME), 'utf8')).heartbeats)).toEqual(['open']);
    const m = (await second.inject({ method: 'GET', url: '/metrics' })).body;
    expect(m).toMatch(/sockeye_heartbeat_pings_total\{heartbeat="open",kind="success"\} 3\n/);
    expect(m).toContain(`sockeye_heartbeat_last_ping_timestamp_seconds{heartbeat="open",kind="success"} ${before.heartbeats.open.lastPing.success / 1000}\n`);
    expect(m).not.toContain('heartbeat="backup"');
    expect((await second.inject({ method: 'GET', url: '/ping/backup', headers: bearer })).statusCode).toBe(404);
    expect((await second.inject({ method: 'GET', url: '/ping/open' })).statusCode).toBe(200);
    const after = JSON.parse(readFileSync(join(dir, STATE_FILE_NAME), 'utf8'));
    expect(Object.keys(after.heartbeats)).toEqual(['open']);
    expect(after.heartbeats.open.counts.success).toBe(4);
  });

  it('starts with empty state when the state file is corrupt, keeping the bad file aside', async () => {
    const dir = stateDir();
    writeFileSync(join(dir, STATE_FILE_NAME), '{"version":1,"heartbeats":{"open":{"lastPi');
    const a = await app(dir);
    expect((await a.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect(readdirSync(dir).filter((f) => f.startsWith(`${STATE_FILE_NAME}.corrupt-`))).toHaveLength(1);
    expect((await a.inject({ method: 'GET', url: '/ping/open' })).statusCode).toBe(200);
    expect(JSON.parse(readFileSync(join(dir, STATE_FILE_NAME), 'utf8')).heartbeats.open.counts.success).toBe(1);
  });

  it('answers 503, not OK, when the ping cannot be stored', async () => {
    const dir = stateDir();
    // The state directory's place is taken by a file: every write fails.
    const blocked = join(dir, 'blocked');
    writeFileSync(blocked, '');
    const a = await app(blocked);
    const res = await a.inject({ method: 'GET', url: '/ping/open' });
    expect(res.statusCode).toBe(503);
    expect(res.json().error).toMatch(/could not store/);
  });
});

describe('status()', () => {
  it('reports state per heartbeat without tokens', async () => {
    const dir = stateDir();
    const config = parseConfig(`targets: []\nstateDir: ${JSON.stringify(dir)}\nheartbeats:\n  - {name: a, period: 1h, token: ${TOKEN}}\n  - {name: b, period: 1h}\n  - {name: c, period: 1h}`, { env: {} });
    const { createHeartbeats } = await import('../../src/heartbeats/index.js');
    const { Registry } = await import('prom-client');
    const registry = new Registry();
    const hb = await createHeartbeats(config, registry, { warn() {}, error() {}, info() {} } as never);
    await hb.ping('a', 'start');
    await hb.ping('a', 'success');
    await hb.ping('b', 'fail', 2);
    const duration = hb.status()[0]!.lastDurationSeconds;
    expect(duration).toBeGreaterThanOrEqual(0);
    // A success without a new start keeps the last run's duration (no stale start).
    await new Promise((r) => setTimeout(r, 20));
    await hb.ping('a', 'success');
    expect(hb.status()[0]!.lastDurationSeconds).toBe(duration);
    await hb.ping('a', 'start');
    expect(hb.status()[0]!.running).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    await hb.ping('a', 'success');
    expect(hb.status()[0]!.lastDurationSeconds).toBeGreaterThanOrEqual(0.02);
    const now = Date.now();
    const status = hb.status(now);
    expect(status.map((s) => [s.name, s.state])).toEqual([
      ['a', 'up'],
      ['b', 'failed'],
      ['c', 'never'],
    ]);
    expect(hb.status(now + 2 * 3_600_000)[0]!.state).toBe('late');
    expect(status[0]).toMatchObject({ periodSeconds: 3600, graceSeconds: 360, pings: { success: 3, start: 2, fail: 0 }, running: false });
    expect(status[1]).toMatchObject({ lastExitStatus: 2, lastPing: { success: null, start: null } });
    expect(JSON.stringify(status)).not.toContain(TOKEN);
    expect(await metricValue(registry, 'sockeye_heartbeat_pings_total', { heartbeat: 'b', kind: 'fail' })).toBe(1);
    await hb.close();
  });
});
