import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { slugify } from '../../src/config/heartbeats.js';
import { applyPing, BODY_BYTES_PER_HEARTBEAT, deadlineAt, emptyStored, heartbeatState, type Ping, type Stored } from '../../src/heartbeats/record.js';
import { CronSchedule } from '../../src/heartbeats/schedule.js';
import { readStateFile, StateFile, StateReadError } from '../../src/heartbeats/state-file.js';
import { dropPartialUtf8, parsePingAction, parsePingPath } from '../../src/routes/ping.js';

const H = 3_600_000;
const M = 60_000;

function stored(lastPing: Stored['lastPing'], over: Partial<Stored> = {}): Stored {
  return { ...emptyStored(0), lastPing, ...over };
}
const ping = (at: number, kind: Ping['kind'], over: Partial<Ping> = {}): Ping => ({ at, kind, method: 'GET', source: '127.0.0.1', ...over });

describe('heartbeatState (period)', () => {
  const now = 100 * H;
  const e = { periodMs: H, graceMs: 10 * M };
  const cases: Array<[string, Stored['lastPing'], string]> = [
    ['never pinged', {}, 'never'],
    ['only started', { start: now - 1000 }, 'never'],
    ['success within the period', { success: now - H / 2 }, 'up'],
    ['success in the grace time', { success: now - H - M }, 'grace'],
    ['success older than period + grace', { success: now - H - 10 * M - 1 }, 'late'],
    ['last outcome a failure', { success: now - 2000, fail: now - 1000 }, 'failed'],
    ['failure, then success', { success: now - 1000, fail: now - 2000 }, 'up'],
    ['only failures', { fail: now - 1000 }, 'failed'],
  ];
  it.each(cases)('%s', (_name, lastPing, want) => {
    expect(heartbeatState(e, stored(lastPing), now)).toBe(want);
  });

  it('a started run must end within grace of its start, as healthchecks does', () => {
    const s = stored({ success: now - 5 * M, start: now - 11 * M }, { runs: [{ rid: null, at: now - 11 * M }] });
    // Without the open run the deadline would be success + period + grace.
    expect(deadlineAt(e, s)).toBe(now - 11 * M + 10 * M);
    expect(heartbeatState(e, s, now)).toBe('late');
    const ended = stored({ success: now - 5 * M, start: now - 11 * M });
    expect(deadlineAt(e, ended)).toBe(now - 5 * M + H + 10 * M);
  });

  it('a never-pinged heartbeat is due a period plus grace after it was first seen', () => {
    expect(deadlineAt(e, emptyStored(7 * H))).toBe(8 * H + 10 * M);
  });
});

describe('applyPing', () => {
  it('pairs start and end by run id, keeping overlapping runs apart', () => {
    const s = emptyStored(0);
    const a = '11111111-1111-4111-8111-111111111111';
    const b = '22222222-2222-4222-8222-222222222222';
    applyPing(s, ping(1000, 'start', { rid: a }));
    applyPing(s, ping(2000, 'start', { rid: b }));
    // b ends first: its own duration, not a's.
    expect(applyPing(s, ping(5000, 'success', { rid: b })).durationSeconds).toBe(3);
    expect(applyPing(s, ping(9000, 'fail', { rid: a, exitStatus: 4 })).durationSeconds).toBe(8);
    expect(s.lastDurationSeconds).toBe(8);
    expect(s.lastExitStatus).toBe(4);
    expect(s.runs).toEqual([]);
    // An end without rid pairs only with a start without rid.
    applyPing(s, ping(10_000, 'start', { rid: a }));
    expect(applyPing(s, ping(11_000, 'success')).durationSeconds).toBeUndefined();
    expect(s.recent.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('keeps the last 20 pings and drops bodies, oldest first, beyond the per-heartbeat cap', () => {
    const s = emptyStored(0);
    const body = Buffer.alloc(60_000, 'x');
    for (let i = 0; i < 25; i++) applyPing(s, ping(i, 'log', { body, method: 'POST' }));
    expect(s.recent).toHaveLength(20);
    expect(s.recent[0]!.seq).toBe(6);
    const kept = s.recent.filter((r) => r.body !== undefined);
    expect(kept.length).toBe(Math.floor(BODY_BYTES_PER_HEARTBEAT / 60_000));
    // The newest keep theirs; every ping keeps its size.
    expect(s.recent.at(-1)!.body).toHaveLength(60_000);
    expect(s.recent[0]!.body).toBeUndefined();
    expect(s.recent.every((r) => r.bodyBytes === 60_000)).toBe(true);
    expect(s.counts.log).toBe(25);
  });
});

describe('a body longer than the cap', () => {
  it('is recorded with its size as sent and marked truncated; one within the cap is not', () => {
    const s = emptyStored(0);
    const cut = applyPing(s, ping(1, 'fail', { body: Buffer.from('first part'), bodyBytes: 150_000, method: 'POST' }));
    expect(cut).toMatchObject({ body: 'first part', bodyBytes: 150_000, bodyTruncated: true });
    const whole = applyPing(s, ping(2, 'success', { body: Buffer.from('all of it'), method: 'POST' }));
    expect(whole).toMatchObject({ body: 'all of it', bodyBytes: 9 });
    expect(whole.bodyTruncated).toBeUndefined();
  });

  it.each([
    ['ASCII', Buffer.from('abc'), 'abc'],
    ['a whole 2-byte character', Buffer.from('aé'), 'aé'],
    ['half a 2-byte character', Buffer.from('aé').subarray(0, 2), 'a'],
    ['2 of 3 bytes of a character', Buffer.from('a€').subarray(0, 3), 'a'],
    ['3 of 4 bytes of a character', Buffer.from('a😀').subarray(0, 4), 'a'],
    ['a whole 4-byte character', Buffer.from('a😀'), 'a😀'],
  ])('is cut between characters: %s', (_name, buf, want) => expect(dropPartialUtf8(buf).toString('utf8')).toBe(want));

  it('leaves bytes that are not UTF-8 as they are', () => {
    const bin = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80]);
    expect(dropPartialUtf8(bin)).toEqual(bin);
  });
});

describe('parsePingAction', () => {
  const cases: Array<[string | undefined, ReturnType<typeof parsePingAction>]> = [
    [undefined, { kind: 'success' }],
    ['start', { kind: 'start' }],
    ['fail', { kind: 'fail' }],
    ['log', { kind: 'log' }],
    ['0', { kind: 'success', exitStatus: 0 }],
    ['1', { kind: 'fail', exitStatus: 1 }],
    ['255', { kind: 'fail', exitStatus: 255 }],
    ['256', undefined],
    ['-1', undefined],
    ['START', undefined],
  ];
  it.each(cases)('%s', (action, want) => expect(parsePingAction(action)).toEqual(want));
});

describe('parsePingPath', () => {
  const key = (s: string) => s === 'project-key-1';
  const U = '5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278';
  it.each([
    [{ a: 'backup' }, { target: { by: 'name', name: 'backup' }, action: undefined }],
    [{ a: 'backup', b: 'fail' }, { target: { by: 'name', name: 'backup' }, action: 'fail' }],
    [{ a: U.toUpperCase(), b: '3' }, { target: { by: 'uuid', uuid: U }, action: '3' }],
    [{ a: 'project-key-1', b: 'db-backup' }, { target: { by: 'slug', key: 'project-key-1', slug: 'db-backup' }, action: undefined }],
    [{ a: 'project-key-1', b: 'db-backup', c: 'start' }, { target: { by: 'slug', key: 'project-key-1', slug: 'db-backup' }, action: 'start' }],
    [{ a: 'backup', b: 'x', c: 'start' }, undefined],
  ])('%j', (params, want) => expect(parsePingPath(params, key)).toEqual(want));

  it('slugs names as healthchecks does', () => {
    expect(slugify('DB.Backup--nightly_1')).toBe('db-backup-nightly_1');
  });
});

describe('heartbeat config', () => {
  const parse = (hb: string, extra = '') => parseConfig(`targets: []\n${extra}heartbeats:\n${hb}`, { env: {} });
  it('takes a schedule with a time zone and grace, or a period', () => {
    const c = parse('  - {name: Nightly.Backup, schedule: "0 2 * * 1-5", timezone: Europe/Berlin, grace: 30m, uuid: 5BF66975-D4C7-4BF5-BCC8-B8D8A82EA278}\n  - {name: canary, period: 1m}\n', 'pingKey: abcdefgh12345678\n');
    expect(c.heartbeats[0]).toMatchObject({ schedule: '0 2 * * 1-5', timezone: 'Europe/Berlin', grace: 30 * M, slug: 'nightly-backup', uuid: '5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278' });
    expect(c.heartbeats[1]).toMatchObject({ period: M, grace: 6000, slug: 'canary' });
    expect(c.heartbeats[1]!.timezone).toBeUndefined();
    expect(c.pingKey).toBe('abcdefgh12345678');
  });
  it.each([
    ['neither period nor schedule', '  - {name: a}\n', /heartbeats\[0\]: expected exactly one of period .* or schedule/],
    ['both', '  - {name: a, period: 1h, schedule: "* * * * *"}\n', /expected exactly one of period/],
    ['a bad time zone', '  - {name: a, schedule: "0 2 * * *", timezone: Mars/Olympus}\n', /heartbeats\[0\]\.timezone: expected an IANA time zone .* got "Mars\/Olympus"/],
    ['a time zone without schedule', '  - {name: a, period: 1h, timezone: UTC}\n', /heartbeats\[0\]\.timezone: only applies with a schedule/],
    ['a bad cron expression', '  - {name: a, schedule: "61 * * * *"}\n', /heartbeats\[0\]\.schedule: expected a cron expression/],
    ['a bad uuid', '  - {name: a, period: 1h, uuid: nope}\n', /heartbeats\[0\]\.uuid: expected a UUID/],
    ['two names with one slug', '  - {name: a.b, period: 1h}\n  - {name: a-b, period: 1h}\n', /heartbeats\[1\]\.slug: duplicate heartbeat slug "a-b"/],
  ])('rejects %s, naming the key', (_n, hb, want) => {
    expect(() => parse(hb)).toThrow(want);
  });
});

describe('CronSchedule across DST changes (Europe/Berlin)', () => {
  afterEach(() => vi.useRealTimers());
  const at = (iso: string) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date(iso));
  };

  it('a daily 02:30 job is not expected on the night clocks skip 02:30 (29 March 2026), and next at 02:30 CEST', () => {
    const c = new CronSchedule('30 2 * * *', 'Europe/Berlin');
    at('2026-03-28T01:30:05Z'); // pinged at 02:30:05 CET on the 28th
    // 02:30 on the 29th does not exist in Berlin: next 02:30 is the 30th, in summer time (UTC+2).
    expect(new Date(c.nextAfterNow()).toISOString()).toBe('2026-03-30T00:30:00.000Z');
  });

  it('an hourly job is expected at 03:00 CEST right after 01:00 CET on the spring-forward night', () => {
    const c = new CronSchedule('0 * * * *', 'Europe/Berlin');
    at('2026-03-29T00:00:10Z'); // 01:00:10 CET
    expect(new Date(c.nextAfterNow()).toISOString()).toBe('2026-03-29T01:00:00.000Z'); // 03:00 CEST
  });

  it('a daily 02:30 job that pinged at the first 02:30 of 25 October is not expected again at the second', () => {
    const c = new CronSchedule('30 2 * * *', 'Europe/Berlin');
    at('2026-10-25T00:30:20Z'); // 02:30:20 CEST; 02:30 CET comes an hour later
    expect(new Date(c.nextAfterNow()).toISOString()).toBe('2026-10-26T01:30:00.000Z'); // 02:30 CET the next day
  });

  it('before the fall-back night a 02:30 job is next expected once, on 25 October', () => {
    const c = new CronSchedule('30 2 * * *', 'Europe/Berlin');
    at('2026-10-24T00:31:00Z'); // 02:31 CEST on the 24th
    const next = c.nextAfterNow();
    expect(next === Date.parse('2026-10-25T00:30:00Z') || next === Date.parse('2026-10-25T01:30:00Z')).toBe(true);
  });

  it('the deadline a cron heartbeat exports is the next run plus grace, and the state follows it', () => {
    const c = new CronSchedule('0 2 * * 1-5', 'Europe/Berlin');
    at('2026-03-27T01:00:30Z'); // Friday 02:00:30 CET: the job pinged
    const due = c.nextAfterNow();
    // Not Saturday or Sunday: Monday 30 March 02:00 CEST.
    expect(new Date(due).toISOString()).toBe('2026-03-30T00:00:00.000Z');
    const s = stored({ success: Date.now() }, { due: { schedule: c.key, at: due } });
    const e = { graceMs: H };
    expect(deadlineAt(e, s)).toBe(Date.parse('2026-03-30T01:00:00Z'));
    expect(heartbeatState(e, s, Date.parse('2026-03-28T12:00:00Z'))).toBe('up'); // Saturday: no page
    expect(heartbeatState(e, s, Date.parse('2026-03-30T00:30:00Z'))).toBe('grace');
    expect(heartbeatState(e, s, Date.parse('2026-03-30T01:00:01Z'))).toBe('late');
  });
});

describe('StateFile', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const tmp = () => {
    const d = mkdtempSync(join(tmpdir(), 'sockeye-state-'));
    dirs.push(d);
    return d;
  };
  const quietLog = () => {
    const warnings: string[] = [];
    return { warnings, log: { warn: (obj: object, msg: string) => void warnings.push(`${msg} ${JSON.stringify(obj)}`) } };
  };

  it('group-commits a burst of changes into a few writes, each resolving after a write that holds it', async () => {
    const dir = tmp();
    const path = join(dir, 'sub', 'state.json');
    const file = new StateFile(path, { value: 0 });
    const saves: Promise<void>[] = [];
    for (let i = 1; i <= 200; i++) {
      saves.push(file.commit((d) => void d.value++).then(() => expect(JSON.parse(readFileSync(path, 'utf8')).value).toBeGreaterThanOrEqual(i)));
    }
    await Promise.all(saves);
    expect(file.writes).toBeGreaterThanOrEqual(1);
    expect(file.writes).toBeLessThanOrEqual(2);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ value: 200 });
    expect(readdirSync(join(dir, 'sub'))).toEqual(['state.json']);
  });

  it('takes back the changes of a failed write: a later write never stores them', async () => {
    const dir = tmp();
    const path = join(dir, 'state.json');
    const file = new StateFile(path, { pings: 0 });
    await file.commit((d) => void d.pings++);
    // The file's place in a directory that cannot take it: the next write fails.
    rmSync(path);
    mkdirSync(path);
    const failed = await Promise.allSettled([file.commit((d) => void d.pings++), file.commit((d) => void d.pings++)]);
    expect(failed.map((f) => f.status)).toEqual(['rejected', 'rejected']);
    expect(file.value).toEqual({ pings: 1 });
    rmSync(path, { recursive: true });
    await file.commit((d) => void d.pings++);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ pings: 2 });
    // No temporary file left by the failed writes.
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it('reads nothing when there is no file, and a valid file as stored', async () => {
    const dir = tmp();
    const path = join(dir, 'state.json');
    const { log, warnings } = quietLog();
    expect(await readStateFile(path, log, {})).toBeUndefined();
    writeFileSync(path, '{"a":1}');
    expect(await readStateFile(path, log, {})).toEqual({ a: 1 });
    expect(warnings).toEqual([]);
  });

  it.each([
    ['truncated JSON', '{"version":1,"heartb'],
    ['binary garbage', '\u0000\u0001\u0002'],
  ])('sets aside %s, warns once naming the heartbeat, and reads nothing', async (_name, text) => {
    const dir = tmp();
    const path = join(dir, 'state.json');
    writeFileSync(path, text);
    const { log, warnings } = quietLog();
    expect(await readStateFile(path, log, { heartbeat: 'backup' })).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/invalid heartbeat state dropped .*"heartbeat":"backup"/);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^state\.json\.corrupt-\d{4}-\d\d-\d\dT/);
    expect(readFileSync(join(dir, files[0]!), 'utf8')).toBe(text);
  });

  it('refuses a file it cannot read (a directory in its place) and leaves it where it is', async () => {
    const dir = tmp();
    const path = join(dir, 'state.json');
    mkdirSync(path); // EISDIR when read
    const { log, warnings } = quietLog();
    await expect(readStateFile(path, log, {})).rejects.toThrow(StateReadError);
    await expect(readStateFile(path, log, {})).rejects.toThrow(/cannot read heartbeat state file .*state\.json: is a directory/);
    expect(warnings).toEqual([]);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });
});
