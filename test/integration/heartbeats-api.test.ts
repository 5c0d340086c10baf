import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { LEGACY_STATE_FILE_NAME, STATE_DIR_NAME } from '../../src/heartbeats/index.js';
import { BODY_BYTES_PER_HEARTBEAT, PING_BODY_LIMIT } from '../../src/heartbeats/record.js';
import { PING_REQUEST_LIMIT } from '../../src/routes/ping.js';

const TOKEN = 'sekrit-token-123';
const KEY = 'project-ping-key-42';
const UUID = '5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278';
const RID = '0c3b2a1e-8d4f-4b6a-9e2d-7f1a5c3b9e80';
const RID2 = '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d';
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

const HEARTBEATS = `
  - name: backup
    period: 1d
    grace: 1h
    token: ${TOKEN}
  - name: open
    period: 1h
  - name: DB.Nightly
    schedule: "0 2 * * *"
    timezone: Europe/Berlin
    uuid: ${UUID.toUpperCase()}
`;

async function app(dir: string, heartbeats = HEARTBEATS, lines?: string[]): Promise<FastifyInstance> {
  const config = parseConfig(`targets: []\nstateDir: ${JSON.stringify(dir)}\npingKey: ${KEY}\nheartbeats:${heartbeats}`, { env: {} });
  const stream = new Writable({ write: (chunk, _enc, done) => (lines?.push(String(chunk)), done()) });
  const a = await buildApp(config, { logger: lines ? { level: 'warn', stream } : false });
  apps.push(a);
  await a.ready();
  return a;
}

/** `count` pieces of `size` bytes ('z'), for a body sent without a length. */
function* chunks(size: number, count: number): Generator<Buffer> {
  for (let i = 0; i < count; i++) yield Buffer.alloc(size, 'z');
}

const stored = (dir: string, name: string) => JSON.parse(readFileSync(join(dir, STATE_DIR_NAME, `${name}.json`), 'utf8')).state;
const metric = (m: string, line: string) => m.split('\n').find((l) => l.startsWith(`${line} `))?.split(' ')[1];

describe('ping API', () => {
  it('takes every healthchecks.io URL shape, method and action, durably', async () => {
    const dir = stateDir();
    const a = await app(dir);
    const ok = async (method: 'GET' | 'POST' | 'HEAD', url: string, extra: Record<string, unknown> = {}) => {
      const res = await a.inject({ method, url, ...extra });
      expect(res.statusCode, `${method} ${url}: ${res.body}`).toBe(200);
      expect(res.body).toBe(method === 'HEAD' ? '' : 'OK');
    };
    await ok('GET', `/ping/open/start?rid=${RID}`);
    await ok('HEAD', `/ping/open/start?rid=${RID2}`);
    await ok('POST', `/ping/open?rid=${RID2}`, { payload: 'second run done\n', headers: { 'content-type': 'text/plain' } });
    await ok('POST', `/ping/open/1?rid=${RID}`, { payload: 'a=1&b=2', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await ok('POST', '/ping/open/log', { payload: '{"not":"parsed"', headers: { 'content-type': 'application/json' } });
    await ok('GET', `/ping/backup?token=${TOKEN}`);
    await ok('HEAD', `/ping/${UUID}/start`);
    await ok('POST', `/ping/${UUID.toUpperCase()}/0`, { payload: 'dump ok' });
    await ok('GET', `/ping/${KEY}/db-nightly/fail`);
    await ok('GET', `/ping/${KEY}/db-nightly`);

    const open = stored(dir, 'open');
    expect(open.counts).toEqual({ success: 1, start: 2, fail: 1, log: 1 });
    expect(open.lastExitStatus).toBe(1);
    // The overlapping runs kept apart: each end paired with its own start.
    const ends = open.recent.filter((r: { kind: string }) => r.kind === 'success' || r.kind === 'fail');
    expect(ends.map((r: { rid: string; durationSeconds?: number }) => [r.rid, typeof r.durationSeconds])).toEqual([
      [RID2, 'number'],
      [RID, 'number'],
    ]);
    expect(open.runs).toEqual([]);
    expect(open.recent.map((r: { body?: string }) => r.body ?? null)).toEqual([null, null, 'second run done\n', 'a=1&b=2', '{"not":"parsed"']);
    expect(open.recent[1]).toMatchObject({ method: 'HEAD', source: '127.0.0.1', kind: 'start', rid: RID2 });
    const nightly = stored(dir, 'DB.Nightly');
    expect(nightly.counts).toEqual({ success: 2, start: 1, fail: 1, log: 0 });
    expect(nightly.recent.map((r: { kind: string }) => r.kind)).toEqual(['start', 'success', 'fail', 'success']);
    expect(JSON.stringify(stored(dir, 'backup'))).not.toContain(TOKEN);

    const m = (await a.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metric(m, 'sockeye_heartbeat_pings_total{heartbeat="open",kind="log"}')).toBe('1');
    expect(metric(m, 'sockeye_heartbeat_pings_total{heartbeat="DB.Nightly",kind="success"}')).toBe('2');
    expect(metric(m, 'sockeye_heartbeat_status{heartbeat="open",state="failed"}')).toBe('1');
    expect(metric(m, 'sockeye_heartbeat_status{heartbeat="DB.Nightly",state="up"}')).toBe('1');
    expect(metric(m, 'sockeye_heartbeat_status{heartbeat="DB.Nightly",state="failed"}')).toBe('0');
    expect(metric(m, 'sockeye_heartbeat_running{heartbeat="open"}')).toBe('0');
    expect(m).not.toMatch(/sockeye_heartbeat_period_seconds\{heartbeat="DB.Nightly"\}/);
    expect(metric(m, 'sockeye_heartbeat_grace_seconds{heartbeat="DB.Nightly"}')).toBe('3600');
    // The next 02:00 in Berlin plus an hour of grace, from the last outcome.
    const deadline = Number(metric(m, 'sockeye_heartbeat_deadline_timestamp_seconds{heartbeat="DB.Nightly"}'));
    expect(deadline * 1000 - nightly.lastPing.success).toBeGreaterThan(H);
    expect(deadline * 1000 - nightly.lastPing.success).toBeLessThanOrEqual(25 * H + H);
    expect(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Berlin', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(deadline * 1000 - H)).toBe('02:00');
    const backupDeadline = Number(metric(m, 'sockeye_heartbeat_deadline_timestamp_seconds{heartbeat="backup"}'));
    expect(backupDeadline * 1000).toBe(stored(dir, 'backup').lastPing.success + 25 * H);
    // Bodies and run ids stay out of metrics.
    expect(m).not.toContain('second run done');
    expect(m).not.toContain(RID);
    expect(m).not.toContain(TOKEN);

    // The same pings at the API route, newest first, with bodies.
    const api = (await a.inject({ method: 'GET', url: '/api/heartbeats/open/pings' })).json();
    expect(api.pings.map((p: { kind: string; body: string | null }) => [p.kind, p.body])).toEqual([
      ['log', '{"not":"parsed"'],
      ['fail', 'a=1&b=2'],
      ['success', 'second run done\n'],
      ['start', null],
      ['start', null],
    ]);
    expect((await a.inject({ method: 'GET', url: '/api/heartbeats/nope/pings' })).statusCode).toBe(404);
  });

  it('keeps bodies within their cap on disk however many large pings arrive', async () => {
    const dir = stateDir();
    const a = await app(dir);
    for (let i = 0; i < 30; i++) {
      const res = await a.inject({ method: 'POST', url: '/ping/open/log', payload: `${i} `.padEnd(99_000, 'y'), headers: { 'content-type': 'text/plain' } });
      expect(res.statusCode).toBe(200);
    }
    const size = statSync(join(dir, STATE_DIR_NAME, 'open.json')).size;
    expect(size).toBeLessThanOrEqual(BODY_BYTES_PER_HEARTBEAT + 16 * 1024);
    const pings = (await a.inject({ method: 'GET', url: '/api/heartbeats/open/pings' })).json().pings as Array<{ body: string | null; bodyBytes: number }>;
    expect(pings).toHaveLength(20);
    // The newest bodies are kept whole, the older ones only counted.
    expect(pings[0]!.body!.startsWith('29 ')).toBe(true);
    expect(pings.filter((p) => p.body !== null)).toHaveLength(2);
    expect(pings.every((p) => p.bodyBytes === 99_000)).toBe(true);
  });

  it('accepts a body over 100 kB and keeps its first 100,000 bytes, as healthchecks.io does, saying so', async () => {
    const dir = stateDir();
    const a = await app(dir);
    // A job's log of 150 kB (`curl --data-binary @log`): numbered lines, so which part is kept shows.
    let log = '';
    for (let i = 0; log.length < 150_000; i++) log += `line ${String(i).padStart(6, '0')} of the nightly job\n`;
    log = log.slice(0, 150_000);
    const res = await a.inject({ method: 'POST', url: '/ping/open/1', payload: log, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe('OK');
    expect(res.headers['ping-body-limit']).toBe(String(PING_BODY_LIMIT));
    expect(PING_BODY_LIMIT).toBe(100_000);

    // Recorded as usual: a failure with its exit status.
    const m = (await a.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metric(m, 'sockeye_heartbeat_pings_total{heartbeat="open",kind="fail"}')).toBe('1');
    const onDisk = stored(dir, 'open').recent as Array<{ body: string; bodyBytes: number; bodyTruncated?: boolean }>;
    expect(onDisk).toHaveLength(1);
    expect(onDisk[0]!.body).toBe(log.slice(0, 100_000));
    expect(onDisk[0]!.bodyBytes).toBe(150_000);
    expect(onDisk[0]!.bodyTruncated).toBe(true);

    // The API route: the kept body whole, marked as not all that was sent.
    const [ping] = (await a.inject({ method: 'GET', url: '/api/heartbeats/open/pings' })).json().pings;
    expect(ping).toMatchObject({ kind: 'fail', exitStatus: 1, bodyBytes: 150_000, bodyTruncated: true });
    expect(ping.body).toBe(log.slice(0, 100_000));
    // The report: the tail of what is kept.
    const report = (await a.inject({ method: 'GET', url: '/api/status' })).json();
    const [shown] = report.heartbeats.find((h: { name: string }) => h.name === 'open').recentPings;
    expect(shown).toMatchObject({ bodyBytes: 150_000, bodyTruncated: true, body: log.slice(100_000 - 2000, 100_000) });

    // A body within the cap is kept whole and not marked.
    expect((await a.inject({ method: 'POST', url: '/ping/open', payload: log.slice(0, 100_000) })).statusCode).toBe(200);
    const [whole] = (await a.inject({ method: 'GET', url: '/api/heartbeats/open/pings' })).json().pings;
    expect(whole).toMatchObject({ kind: 'success', bodyBytes: 100_000, bodyTruncated: false });
    expect(whole.body).toBe(log.slice(0, 100_000));
  });

  it('cuts a long body between characters, and reads only the cap of one sent in pieces', async () => {
    const dir = stateDir();
    const a = await app(dir);
    // 'a' then 2-byte characters: byte 100,000 falls inside one, which is left out whole.
    const text = 'a' + 'é'.repeat(75_000);
    expect((await a.inject({ method: 'POST', url: '/ping/open/log', payload: text, headers: { 'content-type': 'text/plain; charset=utf-8' } })).statusCode).toBe(200);
    // 5 MiB streamed without a length, in 64 KiB pieces.
    const streamed = await a.inject({ method: 'POST', url: '/ping/open/fail', payload: Readable.from(chunks(64 * 1024, 80)), headers: { 'content-type': 'application/octet-stream' } });
    expect(streamed.statusCode).toBe(200);
    const [big, cut] = (await a.inject({ method: 'GET', url: '/api/heartbeats/open/pings' })).json().pings;
    expect(cut).toMatchObject({ kind: 'log', bodyBytes: 150_001, bodyTruncated: true, body: 'a' + 'é'.repeat(49_999) });
    expect(big).toMatchObject({ kind: 'fail', bodyBytes: 80 * 64 * 1024, bodyTruncated: true });
    expect(big.body).toBe('z'.repeat(100_000));
  });

  it.each([
    ['unknown heartbeat', 'GET', '/ping/nope', {}, 404, /unknown heartbeat/],
    ['unknown uuid', 'GET', '/ping/00000000-0000-4000-8000-000000000000', {}, 404, /unknown heartbeat/],
    ['unknown slug', 'GET', `/ping/${KEY}/nope`, {}, 404, /unknown heartbeat/],
    ['slug without the ping key', 'GET', '/ping/wrong-key-123/db-nightly', {}, 404, /unknown/],
    ['unknown action', 'GET', '/ping/open/restart', {}, 404, /unknown ping action "restart"/],
    ['exit status out of range', 'GET', '/ping/open/256', {}, 404, /unknown ping action/],
    ['rid not a UUID', 'GET', '/ping/open/start?rid=run-1', {}, 400, /invalid rid/],
    ['missing token', 'GET', '/ping/backup', {}, 401, /token/],
    ['wrong token in the query', 'GET', '/ping/backup?token=wrong-token-123', {}, 401, /token/],
    ['wrong bearer token', 'POST', '/ping/backup', { headers: { authorization: 'Bearer sekrit-token-12' } }, 401, /token/],
    // A body over 100 kB is kept in part (below); one over 10 MiB is refused, declared or streamed.
    ['body over 10 MiB', 'POST', '/ping/open', { payload: 'x'.repeat(PING_REQUEST_LIMIT + 1), headers: { 'content-type': 'text/plain' } }, 413, /larger than 10485760 bytes/],
    ['body over 10 MiB without a length', 'POST', '/ping/open', { payload: Readable.from(chunks(64 * 1024, 170)), headers: { 'content-type': 'application/octet-stream' } }, 413, /larger than 10485760 bytes/],
  ] as const)('%s: 4xx with a JSON reason, and no trace', async (_name, method, url, extra, status, reason) => {
    const dir = stateDir();
    const a = await app(dir);
    const before = Object.fromEntries(readdirSync(join(dir, STATE_DIR_NAME)).map((f) => [f, readFileSync(join(dir, STATE_DIR_NAME, f), 'utf8')]));
    const res = await a.inject({ method, url, ...extra });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.json().error).toMatch(reason);
    const m = (await a.inject({ method: 'GET', url: '/metrics' })).body;
    expect(m).not.toMatch(/sockeye_heartbeat_pings_total\{[^}]*\} [1-9]/);
    const after = Object.fromEntries(readdirSync(join(dir, STATE_DIR_NAME)).map((f) => [f, readFileSync(join(dir, STATE_DIR_NAME, f), 'utf8')]));
    expect(after).toEqual(before);
  });
});

const H = 3_600_000;

describe('state across restarts', () => {
  it('restores timestamps, counts and pings, and drops heartbeats removed from the config', async () => {
    const dir = stateDir();
    const first = await app(dir);
    for (let i = 0; i < 3; i++) expect((await first.inject({ method: 'POST', url: '/ping/open', payload: `run ${i}` })).statusCode).toBe(200);
    expect((await first.inject({ method: 'GET', url: '/ping/backup', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode).toBe(200);
    const before = stored(dir, 'open');
    await first.close();

    const second = await app(dir, '\n  - name: open\n    period: 1h\n');
    // Dropped from the disk at start, not only at the next ping.
    expect(readdirSync(join(dir, STATE_DIR_NAME))).toEqual(['open.json']);
    const m = (await second.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metric(m, 'sockeye_heartbeat_pings_total{heartbeat="open",kind="success"}')).toBe('3');
    expect(metric(m, 'sockeye_heartbeat_last_ping_timestamp_seconds{heartbeat="open",kind="success"}')).toBe(String(before.lastPing.success / 1000));
    expect(m).not.toContain('heartbeat="backup"');
    expect((await second.inject({ method: 'GET', url: '/api/heartbeats/open/pings' })).json().pings.map((p: { body: string }) => p.body)).toEqual(['run 2', 'run 1', 'run 0']);
    expect((await second.inject({ method: 'GET', url: `/ping/backup?token=${TOKEN}` })).statusCode).toBe(404);
    expect((await second.inject({ method: 'GET', url: '/ping/open' })).statusCode).toBe(200);
    expect(stored(dir, 'open').counts.success).toBe(4);
  });

  it('keeps a never-pinged heartbeat\'s clock across restarts', async () => {
    const dir = stateDir();
    const first = await app(dir);
    const firstSeen = stored(dir, 'open').firstSeen;
    await first.close();
    const second = await app(dir);
    const m = (await second.inject({ method: 'GET', url: '/metrics' })).body;
    expect(Number(metric(m, 'sockeye_heartbeat_deadline_timestamp_seconds{heartbeat="open"}')) * 1000).toBe(firstSeen + H + 6 * 60_000);
    expect(metric(m, 'sockeye_heartbeat_status{heartbeat="open",state="never"}')).toBe('1');
  });

  it('migrates the single state file of earlier versions entry by entry: one bad entry is dropped alone, with one log line naming it', async () => {
    const dir = stateDir();
    writeFileSync(
      join(dir, LEGACY_STATE_FILE_NAME),
      JSON.stringify({
        version: 1,
        heartbeats: {
          open: { lastPing: { success: 1_700_000_000_000 }, counts: { success: 7, start: 0, fail: 0 } },
          backup: { lastPing: { success: 1_700_000_000_000 }, counts: { success: -2, start: 0, fail: 0 } },
        },
      }),
    );
    const lines: string[] = [];
    const a = await app(dir, HEARTBEATS, lines);
    const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ heartbeat: 'backup', msg: 'invalid heartbeat state dropped' });
    expect(warnings[0].error).toMatch(/counts\.success/);
    const m = (await a.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metric(m, 'sockeye_heartbeat_pings_total{heartbeat="open",kind="success"}')).toBe('7');
    expect(metric(m, 'sockeye_heartbeat_pings_total{heartbeat="backup",kind="success"}')).toBe('0');
    expect(readdirSync(dir).sort()).toEqual([STATE_DIR_NAME]);
    expect(stored(dir, 'open').counts.success).toBe(7);
  });

  it.each([
    ['truncated', (t: string) => t.slice(0, t.length - 9)],
    ['garbage', () => '\u0000\u00ff garbage'],
    ['one bad field', (t: string) => t.replace('"success":2', '"success":-2')],
  ])('a %s state file costs its heartbeat alone, set aside with one log line', async (_name, damage) => {
    const dir = stateDir();
    const first = await app(dir);
    for (const n of ['open', 'open', `${UUID}`]) expect((await first.inject({ method: 'GET', url: `/ping/${n}` })).statusCode).toBe(200);
    await first.close();
    const file = join(dir, STATE_DIR_NAME, 'open.json');
    const good = readFileSync(file, 'utf8');
    expect(good).toContain('"success":2');
    writeFileSync(file, damage(good));
    const lines: string[] = [];
    const a = await app(dir, HEARTBEATS, lines);
    const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.level === 40);
    expect(warnings.map((w) => [w.heartbeat, w.msg])).toEqual([['open', 'invalid heartbeat state dropped']]);
    expect(readdirSync(join(dir, STATE_DIR_NAME)).filter((f) => f.startsWith('open.json.corrupt-'))).toHaveLength(1);
    const m = (await a.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metric(m, 'sockeye_heartbeat_pings_total{heartbeat="open",kind="success"}')).toBe('0');
    expect(metric(m, 'sockeye_heartbeat_pings_total{heartbeat="DB.Nightly",kind="success"}')).toBe('1');
  });

  it('removes the temporary file a write cut short by kill -9 left behind, and keeps the state', async () => {
    const dir = stateDir();
    const first = await app(dir);
    expect((await first.inject({ method: 'GET', url: '/ping/open' })).statusCode).toBe(200);
    await first.close();
    // Named by the writer's pid: one that has exited, as sockeye killed mid-write has.
    const writer = spawnSync('true');
    const left = join(dir, STATE_DIR_NAME, `open.json.tmp-${writer.pid}`);
    writeFileSync(left, '{"version":1,"na');
    const a = await app(dir);
    expect(readdirSync(join(dir, STATE_DIR_NAME)).sort()).toEqual(['DB.Nightly.json', 'backup.json', 'open.json']);
    expect(metric((await a.inject({ method: 'GET', url: '/metrics' })).body, 'sockeye_heartbeat_pings_total{heartbeat="open",kind="success"}')).toBe('1');
  });

  it('pings a heartbeat named like a UUID by its name', async () => {
    const dir = stateDir();
    const a = await app(dir, `\n  - name: ${UUID.replace(/^5/, '6')}\n    period: 1h\n`);
    expect((await a.inject({ method: 'GET', url: `/ping/${UUID.replace(/^5/, '6')}` })).statusCode).toBe(200);
    expect((await a.inject({ method: 'GET', url: `/ping/${UUID}` })).statusCode).toBe(404);
  });

  it('refuses to start over a state file it cannot read, naming it', async () => {
    const dir = stateDir();
    mkdirSync(join(dir, STATE_DIR_NAME, 'open.json'), { recursive: true });
    await expect(app(dir)).rejects.toThrow(/cannot read heartbeat state file .*open\.json: is a directory/);
  });

  it('answers 503 when the ping cannot be stored, and the ping leaves no trace: not in memory, not on disk, not after the next good ping', async () => {
    const dir = stateDir();
    const a = await app(dir);
    expect((await a.inject({ method: 'GET', url: '/ping/open' })).statusCode).toBe(200);
    // Make the next writes fail: the file's place is taken by a directory with content.
    const file = join(dir, STATE_DIR_NAME, 'open.json');
    rmSync(file);
    mkdirSync(join(file, 'x'), { recursive: true });
    for (let i = 0; i < 5; i++) {
      const res = await a.inject({ method: 'POST', url: '/ping/open/fail', payload: `rejected ${i}` });
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toMatch(/could not store/);
    }
    let m = (await a.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metric(m, 'sockeye_heartbeat_pings_total{heartbeat="open",kind="fail"}')).toBe('0');
    expect(metric(m, 'sockeye_heartbeat_status{heartbeat="open",state="up"}')).toBe('1');
    rmSync(file, { recursive: true });
    expect((await a.inject({ method: 'GET', url: '/ping/open' })).statusCode).toBe(200);
    const s = stored(dir, 'open');
    expect(s.counts).toEqual({ success: 2, start: 0, fail: 0, log: 0 });
    expect(JSON.stringify(s)).not.toContain('rejected');
    expect(readdirSync(join(dir, STATE_DIR_NAME)).filter((f) => f.includes('.tmp-'))).toEqual([]);
    m = (await a.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metric(m, 'sockeye_heartbeat_pings_total{heartbeat="open",kind="success"}')).toBe('2');
  });
});

describe('reconfigure', () => {
  it('takes a new heartbeat list and keeps the state of the heartbeats it keeps', async () => {
    const dir = stateDir();
    const config = parseConfig(`targets: []\nstateDir: ${JSON.stringify(dir)}\nheartbeats:\n  - {name: a, period: 1h}\n  - {name: b, period: 1h}\n`, { env: {} });
    const { createHeartbeats } = await import('../../src/heartbeats/index.js');
    const { Registry } = await import('prom-client');
    const registry = new Registry();
    const hb = await createHeartbeats(config, registry, { warn() {}, error() {}, info() {} } as never);
    await hb.ping('a', { kind: 'success', method: 'GET', source: '127.0.0.1' });
    const next = parseConfig(`targets: []\nheartbeats:\n  - {name: a, schedule: "0 3 * * *"}\n  - {name: c, period: 1m}\n`, { env: {} });
    await hb.reconfigure(next.heartbeats);
    const status = hb.status();
    expect(status.map((s) => [s.name, s.pings.success, s.schedule])).toEqual([
      ['a', 1, '0 3 * * *'],
      ['c', 0, null],
    ]);
    const m = await registry.metrics();
    expect(m).not.toContain('heartbeat="b"');
    expect(m).toContain('sockeye_heartbeat_pings_total{heartbeat="a",kind="success"} 1');
    expect(readdirSync(join(dir, STATE_DIR_NAME)).sort()).toEqual(['a.json', 'c.json']);
    await hb.close();
  });
});
