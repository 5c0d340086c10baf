// Incident snapshots through a real app (buildApp + inject) against real
// processes read through the real /proc: what a snapshot names, when it is
// taken on its own, how it is protected and redacted, and the disk bound.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import type { SourceKind } from '../../src/collectors/index.js';
import { parseConfig } from '../../src/config/load.js';
import type { Snapshot, SnapshotSummary } from '../../src/snapshots/types.js';
import { spawnChild, type Child } from '../support/child.js';
import { poll } from '../support/poll.js';
import { killAllHolders, spawnHolder } from '../support/procs.js';

const validate = new Ajv2020({ allErrors: true, strict: true }).compile(JSON.parse(readFileSync(new URL('../../docs/snapshot.schema.json', import.meta.url), 'utf8')) as object);

const root = mkdtempSync(join(tmpdir(), 'sockeye-snapshots-app-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const apps: FastifyInstance[] = [];
const children: Child[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
  await Promise.all(children.splice(0).map((c) => c.stop()));
  await killAllHolders();
});

let n = 0;
async function app(yaml: string, source?: SourceKind): Promise<{ app: FastifyInstance; stateDir: string }> {
  const stateDir = join(root, `state-${++n}`);
  const a = await buildApp(parseConfig(`stateDir: ${JSON.stringify(stateDir)}\n${yaml}`, { env: {} }), { logger: false, collection: source ? { source } : undefined });
  apps.push(a);
  await a.ready();
  return { app: a, stateDir };
}

const target = (tag: string, name = 'app') => `  - name: ${name}\n    match: { cmdline: "sockeye-holder ${tag}$" }\n`;
const list = async (a: FastifyInstance, q = ''): Promise<SnapshotSummary[]> => (await a.inject(`/api/snapshots${q}`)).json().snapshots;
const read = async (a: FastifyInstance, id: string): Promise<Snapshot> => (await a.inject(`/api/snapshots/${id}`)).json();
// Triggers and history run on each collection; a scrape is one.
const scrape = async (a: FastifyInstance) => expect((await a.inject('/metrics')).statusCode).toBe(200);

describe('POST /api/snapshots', () => {
  it.each(['native', 'text'] as const)('freezes the cause: the path with its handle count, the CLOSE_WAIT sockets with their peer; the JSON validates against the schema (%s source)', async (source) => {
    const leaked = join(root, `leaked-${source}.log`);
    const h = await spawnHolder({ files: [{ path: leaked, count: 300 }, { path: join(root, `other-${source}.log`), count: 2 }], listen: [{ host: '127.0.0.1' }], connections: [{ listener: 0, count: 7, state: 'close_wait' }] });
    const { app: a, stateDir } = await app(`topN: 1\nsnapshots: { triggers: { closeWait: false } }\ntargets:\n${target(h.tag)}`, source);
    const res = await a.inject({ method: 'POST', url: '/api/snapshots?target=app' });
    expect(res.statusCode).toBe(201);
    const summary = res.json() as SnapshotSummary;
    expect(res.headers.location).toBe(`/api/snapshots/${summary.id}`);
    expect(summary).toMatchObject({ target: 'app', reason: { kind: 'manual' }, openFds: expect.any(Number) });
    expect(summary.bytes).toBe(statSync(join(stateDir, 'snapshots', `${summary.id}.json`)).size);

    const got = await a.inject(`/api/snapshots/${summary.id}`);
    expect(got.statusCode).toBe(200);
    const snap = got.json() as Snapshot;
    expect(validate(snap)).toBe(true);
    expect(validate.errors ?? []).toEqual([]);
    expect(snap.target.total.paths[0]).toEqual({ path: leaked, count: 300 });
    expect(snap.target.total.paths).toHaveLength(2);
    expect(snap.target.total.sockets).toContainEqual({ protocol: 'tcp', state: 'close_wait', peer: '127.0.0.1', localPort: null, count: 7, rx: 0, tx: 0, oldestSeconds: expect.any(Number) });
    expect(snap.target.processes.map((p) => p.pid)).toEqual([h.pid]);
    expect(snap.collection.collectors.map((c) => c.name)).toEqual(['targets', 'process', 'limits', 'fd', 'sockets', 'listen_backlog', 'memory']);
    expect(await list(a)).toEqual([summary]);
    expect(await list(a, '?target=nope')).toEqual([]);
  });

  it('answers 400 without a target, 404 naming an unknown target or snapshot, 400 for a malformed id', async () => {
    const h = await spawnHolder({});
    const { app: a } = await app(`targets:\n${target(h.tag)}`);
    expect((await a.inject({ method: 'POST', url: '/api/snapshots' })).statusCode).toBe(400);
    const unknown = await a.inject({ method: 'POST', url: '/api/snapshots?target=nope' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json().reason).toContain('"nope"');
    expect((await a.inject('/api/snapshots/20261207T091502.123Z-app-0000')).statusCode).toBe(404);
    expect((await a.inject('/api/snapshots/..%2F..%2Fetc%2Fpasswd')).statusCode).toBe(400);
    expect((await a.inject('/api/snapshots/nope')).statusCode).toBe(400);
  });

  it('is behind the status page token, and gone with the page', async () => {
    const h = await spawnHolder({});
    const { app: a } = await app(`statusPage: { token: "snapshot-token-1234" }\ntargets:\n${target(h.tag)}`);
    expect((await a.inject({ method: 'POST', url: '/api/snapshots?target=app' })).statusCode).toBe(401);
    expect((await a.inject('/api/snapshots')).statusCode).toBe(401);
    expect((await a.inject({ method: 'POST', url: '/api/alertmanager', payload: { version: '4', alerts: [] } })).statusCode).toBe(401);
    const ok = await a.inject({ method: 'POST', url: '/api/snapshots?target=app', headers: { authorization: 'Bearer snapshot-token-1234' } });
    expect(ok.statusCode).toBe(201);
    const { app: off } = await app(`statusPage: { enabled: false }\ntargets:\n${target(h.tag)}`);
    expect((await off.inject('/api/snapshots')).statusCode).toBe(404);
  });

  it('stores command lines with secrets redacted; the metrics never carry them', async () => {
    const tag = `redact-${process.pid}`;
    const child = spawnChild('secretive', 'python3', ['-c', 'import time; time.sleep(600)', '--db-password=hunter2', '--token', 's3cr3t', 'sockeye-holder', tag]);
    children.push(child);
    const { app: a } = await app(`targets:\n${target(tag)}`);
    await poll(async () => (await a.inject({ method: 'POST', url: '/api/snapshots?target=app' })).statusCode === 201 && (await list(a)).length === 1, { timeoutMs: 20_000, what: 'a snapshot of the sleeping child' });
    const [s] = await list(a);
    const snap = await read(a, s!.id);
    const cmdline = snap.target.processes[0]!.cmdline;
    expect(cmdline.endsWith(`python3 -c import time; time.sleep(600) --db-password=*** --token *** sockeye-holder ${tag}`)).toBe(true);
    expect(JSON.stringify(snap)).not.toMatch(/hunter2|s3cr3t/);
    expect((await a.inject('/metrics')).body).not.toMatch(/hunter2|s3cr3t|password/);
  });
});

describe('config reload', () => {
  it('takes new snapshot settings: off refuses with 409 and keeps what is stored; bounds lowered drop the oldest', async () => {
    const h = await spawnHolder({});
    const stateDir = join(root, 'state-reload');
    let yaml = `stateDir: ${JSON.stringify(stateDir)}\ntargets:\n${target(h.tag)}`;
    const a = await buildApp(parseConfig(yaml, { env: {} }), { logger: false, loadConfig: async () => parseConfig(yaml, { env: {} }) });
    apps.push(a);
    await a.ready();
    for (let i = 0; i < 3; i++) expect((await a.inject({ method: 'POST', url: '/api/snapshots?target=app' })).statusCode).toBe(201);
    yaml += 'snapshots: { enabled: false, maxCount: 2 }\n';
    expect(await a.reloadConfig()).toMatchObject({ ok: true });
    const refused = await a.inject({ method: 'POST', url: '/api/snapshots?target=app' });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().reason).toContain('snapshots.enabled: false');
    expect(await list(a)).toHaveLength(2);
    expect(readdirSync(join(stateDir, 'snapshots'))).toHaveLength(2);
  });
});

describe('taken on their own', () => {
  it('a trigger crossed on a scrape stores one snapshot per cooldown, counted by reason', async () => {
    const h = await spawnHolder({ listen: [{ host: '127.0.0.1' }], connections: [{ listener: 0, count: 6, state: 'close_wait' }] });
    const { app: a } = await app(`snapshots: { triggers: { closeWait: 5 } }\ntargets:\n${target(h.tag)}`);
    await scrape(a);
    const [s] = await poll(async () => {
      const l = await list(a);
      return l.length > 0 && l;
    }, { timeoutMs: 20_000, what: 'the close_wait trigger snapshot' });
    expect(s!.reason).toEqual({ kind: 'trigger', trigger: 'close_wait', detail: '6 sockets in CLOSE_WAIT >= 5' });
    const snap = await read(a, s!.id);
    expect(snap.target.total.sockets).toContainEqual(expect.objectContaining({ state: 'close_wait', peer: '127.0.0.1', count: 6 }));
    // Within the cooldown (15m by default) further scrapes take no more.
    await scrape(a);
    await scrape(a);
    const metrics = (await a.inject('/metrics')).body;
    expect(metrics).toMatch(/^sockeye_snapshots_taken_total\{reason="close_wait"\} 1$/m);
    expect(metrics).toMatch(/^sockeye_snapshots_stored 1$/m);
    expect(metrics).toMatch(new RegExp(`^sockeye_snapshots_stored_bytes ${s!.bytes}$`, 'm'));
    expect(await list(a)).toHaveLength(1);
  });

  it('triggers crossed in the same collection share one snapshot, each starting its cooldown', async () => {
    // 3 stdio sockets + a listener + 6 accepted ends = 10 fds of 20.
    const h = await spawnHolder({ nofile: [20, 20], listen: [{ host: '127.0.0.1' }], connections: [{ listener: 0, count: 6, state: 'close_wait' }] });
    const { app: a } = await app(`snapshots: { triggers: { closeWait: 5, fdUsage: 0.5 } }\ntargets:\n${target(h.tag)}`);
    await scrape(a);
    const [s] = await poll(async () => {
      const l = await list(a);
      return l.length > 0 && l;
    }, { timeoutMs: 20_000, what: 'the trigger snapshot' });
    expect(s!.reason).toEqual({ kind: 'trigger', trigger: 'fd_usage', detail: 'fd usage 0.500 >= 0.5 (10 of 20); 6 sockets in CLOSE_WAIT >= 5' });
    await scrape(a);
    const metrics = (await a.inject('/metrics')).body;
    expect(metrics).toMatch(/^sockeye_snapshots_taken_total\{reason="fd_usage"\} 1$/m);
    expect(metrics).toMatch(/^sockeye_snapshots_taken_total\{reason="close_wait"\} 0$/m);
    expect(await list(a)).toHaveLength(1);
  });

  it('no baseline while a trigger is crossed, however long; a snapshot by hand records the triggers its picture crosses', async () => {
    const h = await spawnHolder({ listen: [{ host: '127.0.0.1' }], connections: [{ listener: 0, count: 6, state: 'close_wait' }] });
    const { app: a } = await app(`snapshots: { triggers: { closeWait: 5 }, baseline: { after: 1s } }\ntargets:\n${target(h.tag)}`);
    const since = Date.now();
    // Collections over three times baseline.after, all crossing closeWait.
    await poll(
      async () => {
        await scrape(a);
        return Date.now() - since > 3000;
      },
      { timeoutMs: 60_000, what: 'scrapes over more than baseline.after' },
    );
    // Saves run one after another: once this one is stored, a baseline the scrapes started would be too.
    const res = await a.inject({ method: 'POST', url: '/api/snapshots?target=app' });
    expect(res.statusCode).toBe(201);
    expect((await list(a)).map((s) => s.reason.kind).sort()).toEqual(['manual', 'trigger']);
    const manual = await read(a, (res.json() as SnapshotSummary).id);
    expect(manual.crossed).toEqual([{ trigger: 'close_wait', detail: '6 sockets in CLOSE_WAIT >= 5' }]);
    expect((await a.inject('/metrics')).body).toMatch(/^sockeye_snapshots_taken_total\{reason="baseline"\} 0$/m);
  });

  it('a baseline that cannot be stored is tried again a baseline.after later, not on every collection', async () => {
    // Two thousand long paths: a picture larger than maxBytes' lowest, 64KiB.
    const files = Array.from({ length: 2000 }, (_, i) => ({ path: join(root, `${'long-name-'.repeat(6)}${i}`), count: 1 }));
    const h = await spawnHolder({ nofile: [4096, 4096] });
    // Through stdin: the command line could not hold them.
    for (let i = 0; i < files.length; i += 500) await h.add({ files: files.slice(i, i + 500) });
    const { app: a } = await app(`snapshots: { maxBytes: 64KiB, baseline: { after: 1s } }\ntargets:\n${target(h.tag)}`);
    const failures = async () => Number(/^sockeye_snapshots_write_failures_total (\d+)$/m.exec((await a.inject('/metrics')).body)![1]);
    const since = Date.now();
    let scrapes = 0;
    await poll(
      async () => {
        scrapes++;
        return (await failures()) >= 1 && Date.now() - since > 4000 && scrapes >= 20;
      },
      { timeoutMs: 120_000, what: 'a failed baseline, then scrapes over four baseline.after' },
    );
    const elapsedSeconds = (Date.now() - since) / 1000;
    const failed = await failures();
    // One attempt per baseline.after of health at most (plus the one under way), whatever the number of scrapes.
    expect(failed).toBeLessThanOrEqual(Math.ceil(elapsedSeconds) + 1);
    expect(failed).toBeLessThan(scrapes);
    expect(await list(a)).toEqual([]);
  });

  it('a process that exits leaves its last picture, named as vanished', async () => {
    const leaked = join(root, 'dying.log');
    const h = await spawnHolder({ files: [{ path: leaked, count: 25 }] });
    const { app: a } = await app(`restarts: { minLifetime: 0s }\ntargets:\n${target(h.tag)}`);
    await scrape(a);
    expect(await list(a)).toEqual([]);
    await h.kill();
    await scrape(a);
    const [s] = await poll(async () => {
      const l = await list(a);
      return l.length > 0 && l;
    }, { timeoutMs: 20_000, what: 'the vanished snapshot' });
    expect(s!.reason).toEqual({ kind: 'vanished', detail: `pid ${h.pid} gone, no process left` });
    const snap = await read(a, s!.id);
    expect(snap.target.processes.map((p) => p.pid)).toEqual([h.pid]);
    expect(snap.target.total.paths).toEqual([{ path: leaked, count: 25 }]);
  });

  it('a replaced process leaves the picture with the old one, named as restarted; a worker dying alone, as vanished with the rest named', async () => {
    const tag = `workers-${process.pid}`;
    const w1 = await spawnHolder({ files: [{ path: join(root, 'w1.log'), count: 11 }] }, { tag });
    const w2 = await spawnHolder({ files: [{ path: join(root, 'w2.log'), count: 12 }] }, { tag });
    // Two workers expected: one dying alone leaves too few (one ending with enough left is turnover, below).
    const { app: a } = await app(`restarts: { minLifetime: 0s }\ntargets:\n${target(tag)}    processes: { min: 2 }\n`);
    await scrape(a);
    await w1.kill();
    await scrape(a);
    const [died] = await poll(async () => {
      const l = await list(a);
      return l.length > 0 && l;
    }, { timeoutMs: 20_000, what: 'the dying worker\'s snapshot' });
    expect(died!.reason).toEqual({ kind: 'vanished', detail: `pid ${w1.pid} gone, 1 left` });
    // The last picture that still had it: what it held when it died.
    const last = await read(a, died!.id);
    expect(last.target.processes.map((p) => p.pid).sort()).toEqual([w1.pid, w2.pid].sort());
    expect(last.target.processes.find((p) => p.pid === w1.pid)!.paths).toEqual([{ path: join(root, 'w1.log'), count: 11 }]);

    await w2.kill();
    // Respawned: the same program (command line) under the same parent.
    const w3 = await spawnHolder({ files: [{ path: join(root, 'w2.log'), count: 12 }] }, { tag });
    await scrape(a);
    const restarted = await poll(async () => (await list(a)).find((s) => s.reason.kind === 'restarted'), { timeoutMs: 20_000, what: 'the restarted snapshot' });
    expect(restarted.reason).toEqual({ kind: 'restarted', detail: `pid ${w2.pid} gone, pid ${w3.pid} new` });
    expect((await read(a, restarted.id)).target.processes.map((p) => p.pid)).toEqual([w2.pid]);
  });

  it('a process ending with enough left and nothing like it in its place (a session backend) leaves no snapshot', async () => {
    const tag = `sessions-${process.pid}`;
    const server = await spawnHolder({}, { tag: `${tag} server` });
    const session = await spawnHolder({}, { tag: `${tag} client-1` });
    const { app: a } = await app(`restarts: { minLifetime: 0s }\ntargets:\n  - name: app\n    match: { cmdline: "sockeye-holder ${tag} " }\n`);
    await scrape(a);
    await session.kill();
    const next = await spawnHolder({}, { tag: `${tag} client-2` });
    await scrape(a);
    await scrape(a);
    // Both collections saw the change (the session gone, another there) and took nothing.
    const body = (await a.inject('/metrics')).body;
    expect(body).toMatch(new RegExp(`^sockeye_process_exits_total\\{target="app"\\} [1-9]`, 'm'));
    expect(await list(a)).toEqual([]);
    expect([server.pid, next.pid]).toHaveLength(2);
  });

  it('under a trigger that fires on every collection, the directory stays within maxBytes and maxCount', { timeout: 180_000 }, async () => {
    // 30 long distinct paths: each snapshot is over 15 KB, so 64 KiB holds only a few.
    const files = Array.from({ length: 30 }, (_, i) => ({ path: join(root, `${'p'.repeat(200)}-${i}.log`), count: 1 }));
    const h = await spawnHolder({ nofile: [60, 60], files });
    const maxBytes = 64 * 1024;
    const { app: a, stateDir } = await app(`snapshots: { cooldown: 0s, maxCount: 5, maxBytes: ${maxBytes}, triggers: { fdUsage: 0.5 } }\ntargets:\n${target(h.tag)}`);
    const dir = join(stateDir, 'snapshots');
    const listed = () => (existsSync(dir) ? readdirSync(dir) : []);
    // A file removed between the listing and its stat is no longer on the disk.
    const dirBytes = () => listed().reduce((sum, f) => sum + (() => { try { return statSync(join(dir, f)).size; } catch { return 0; } })(), 0);
    const bytes: number[] = [];
    const counts: number[] = [];
    let firstSaved = 0;
    for (let i = 0; i < 12; i++) {
      await scrape(a);
      if (i === 0) firstSaved = (await poll(async () => (await list(a))[0], { timeoutMs: 20_000, what: 'the first snapshot' })).savedAt;
      bytes.push(dirBytes());
      counts.push(listed().length);
    }
    await a.close();
    const metrics = await buildApp(parseConfig(`stateDir: ${JSON.stringify(stateDir)}\nsnapshots: { maxCount: 5, maxBytes: ${maxBytes} }\ntargets: []\n`, { env: {} }), { logger: false });
    apps.push(metrics);
    const stored = await list(metrics);
    // The bytes bound is the one that binds here: fewer than maxCount fit.
    expect(stored[0]!.bytes).toBeGreaterThan(15_000);
    expect(stored.length).toBeGreaterThanOrEqual(2);
    expect(stored.length).toBeLessThan(5);
    expect(Math.max(...bytes)).toBeLessThanOrEqual(maxBytes);
    expect(Math.max(...counts)).toBeLessThanOrEqual(5);
    // Every collection crossed the trigger: what is left are the newest of a dozen.
    expect(new Set(stored.map((s) => s.reason.kind))).toEqual(new Set(['trigger']));
    expect(stored.at(-1)!.savedAt).toBeGreaterThan(firstSaved);
    expect(dirBytes()).toBe(stored.reduce((sum, s) => sum + s.bytes, 0));
  });
});

describe('POST /api/alertmanager', () => {
  const alert = (status: string, labels: Record<string, string>) => ({ status, labels, annotations: { summary: 'leaking' }, startsAt: '2026-12-07T09:00:00Z', endsAt: '0001-01-01T00:00:00Z', generatorURL: '', fingerprint: 'x' });
  const payload = (alerts: object[]) => ({ version: '4', groupKey: '{}:{}', truncatedAlerts: 0, status: 'firing', receiver: 'sockeye', groupLabels: {}, commonLabels: {}, commonAnnotations: {}, externalURL: 'http://am', alerts });

  it('snapshots each firing alert naming a known target; resolved, unlabelled and unknown ones are not taken', async () => {
    const h = await spawnHolder({});
    const { app: a } = await app(`targets:\n${target(h.tag)}`);
    const res = await a.inject({
      method: 'POST',
      url: '/api/alertmanager',
      payload: payload([
        alert('firing', { alertname: 'FdLeak', target: 'app', severity: 'warning' }),
        alert('resolved', { alertname: 'CloseWaitPileUp', target: 'app' }),
        alert('firing', { alertname: 'Watchdog' }),
        alert('firing', { alertname: 'FdLeak', target: 'elsewhere' }),
      ]),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.taken).toEqual([{ alertname: 'FdLeak', target: 'app', id: expect.any(String) }]);
    expect(body.skipped).toEqual([
      { alertname: 'Watchdog', target: null, reason: 'no target label' },
      { alertname: 'FdLeak', target: 'elsewhere', reason: expect.stringContaining('no target named "elsewhere"') },
    ]);
    const snap = await read(a, body.taken[0].id);
    expect(snap.reason).toEqual({ kind: 'alert', alertname: 'FdLeak', labels: { alertname: 'FdLeak', target: 'app', severity: 'warning' }, detail: 'FdLeak firing: leaking' });
    // Alertmanager repeats a firing alert every group_interval: one snapshot per cooldown.
    const again = await a.inject({ method: 'POST', url: '/api/alertmanager', payload: payload([alert('firing', { alertname: 'FdLeak', target: 'app' })]) });
    expect(again.json().taken).toEqual([]);
    expect(again.json().skipped[0].reason).toContain('cooldown');
  });

  it('a check\'s alert (no target label) snapshots the one target listening where the check connects on this machine', async () => {
    const h = await spawnHolder({ listen: [{ host: '127.0.0.1' }] });
    const idle = await spawnHolder({});
    const port = h.report.listeners[0]!.port;
    const checks = [
      `  - { name: party, every: 60s, tcp: { address: "127.0.0.1:${port}" } }`,
      `  - { name: web, every: 60s, http: { url: "http://localhost:${port}/health" } }`,
      // No target listens on port 1 (the idle one listens nowhere): no guess.
      '  - { name: nobody, every: 60s, tcp: { address: "127.0.0.1:1" } }',
      // Another machine's port, the same number: not this target.
      `  - { name: remote, every: 60s, tcp: { address: "192.0.2.10:${port}" } }`,
    ].join('\n');
    const { app: a } = await app(`targets:\n${target(h.tag)}${target(idle.tag, 'idle')}checks:\n${checks}\n`);
    await scrape(a);
    const res = await a.inject({
      method: 'POST',
      url: '/api/alertmanager',
      payload: payload([
        alert('firing', { alertname: 'CheckFailing', check: 'party', severity: 'critical' }),
        alert('firing', { alertname: 'CheckFailing', check: 'web', severity: 'critical' }),
        alert('firing', { alertname: 'CheckFailing', check: 'nobody' }),
        alert('firing', { alertname: 'CheckFailing', check: 'remote' }),
        alert('firing', { alertname: 'CheckFailing', check: 'unknown' }),
      ]),
    });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    // party and web both reach the holder's port: one snapshot per target and alert name per cooldown.
    expect(body.taken).toEqual([{ alertname: 'CheckFailing', target: 'app', id: expect.any(String) }]);
    expect(body.skipped).toEqual([
      { alertname: 'CheckFailing', target: 'app', reason: expect.stringContaining('cooldown') },
      ...['nobody', 'remote', 'unknown'].map((c) => ({ alertname: 'CheckFailing', target: null, reason: `no target label, and check "${c}" connects to no single target's port on this machine` })),
    ]);
    const snap = await read(a, body.taken[0].id);
    expect(snap.target.name).toBe('app');
    expect(snap.target.total.listen.map((l) => l.port)).toEqual([port]);
    expect(snap.reason).toMatchObject({ kind: 'alert', alertname: 'CheckFailing', labels: { check: 'party' } });
  });

  it('answers 400 on a body that is not an Alertmanager webhook payload', async () => {
    const { app: a } = await app('targets: []\n');
    for (const body of [{ version: '3', alerts: [] }, { version: '4' }, { version: '4', alerts: [{ status: 'firing', labels: { target: 5 } }] }]) {
      const res = await a.inject({ method: 'POST', url: '/api/alertmanager', payload: body });
      expect(res.statusCode).toBe(400);
      expect(res.json().reason).toMatch(/^not an Alertmanager webhook payload: /);
    }
    expect((await a.inject({ method: 'POST', url: '/api/alertmanager', headers: { 'content-type': 'application/json' }, payload: '{not json' })).statusCode).toBe(400);
  });
});
