import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { heartbeatState } from '../../src/heartbeats/index.js';
import { StateFile } from '../../src/heartbeats/state-file.js';
import { parsePingAction } from '../../src/routes/ping.js';

const H = 3_600_000;

describe('heartbeatState', () => {
  const now = 100 * H;
  const cases: Array<[string, { success?: number; start?: number; fail?: number }, string]> = [
    ['never pinged', {}, 'never'],
    ['only started', { start: now - 1000 }, 'never'],
    ['success within the period', { success: now - H / 2 }, 'up'],
    ['success in the grace time', { success: now - H - 60_000 }, 'up'],
    ['success older than period + grace', { success: now - H - 10 * 60_000 - 1 }, 'late'],
    ['last outcome a failure', { success: now - 2000, fail: now - 1000 }, 'failed'],
    ['failure, then success', { success: now - 1000, fail: now - 2000 }, 'up'],
    ['only failures', { fail: now - 1000 }, 'failed'],
  ];
  it.each(cases)('%s', (_name, lastPing, want) => {
    expect(heartbeatState({ lastPing }, H, 10 * 60_000, now)).toBe(want);
  });
});

describe('parsePingAction', () => {
  const cases: Array<[string | undefined, ReturnType<typeof parsePingAction>]> = [
    [undefined, { kind: 'success' }],
    ['start', { kind: 'start' }],
    ['fail', { kind: 'fail' }],
    ['0', { kind: 'success', exitStatus: 0 }],
    ['1', { kind: 'fail', exitStatus: 1 }],
    ['255', { kind: 'fail', exitStatus: 255 }],
    ['256', undefined],
    ['-1', undefined],
    ['log', undefined],
    ['START', undefined],
  ];
  it.each(cases)('%s', (action, want) => expect(parsePingAction(action)).toEqual(want));
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

  it('group-commits a burst of saves into a few writes, each save resolving after a write that includes it', async () => {
    const dir = tmp();
    let value = 0;
    const file = new StateFile(join(dir, 'sub', 'state.json'), () => ({ value }), quietLog().log);
    const saves: Promise<void>[] = [];
    for (let i = 1; i <= 200; i++) {
      value = i;
      const mine = i;
      saves.push(file.save().then(() => expect(JSON.parse(readFileSync(join(dir, 'sub', 'state.json'), 'utf8')).value).toBeGreaterThanOrEqual(mine)));
    }
    await Promise.all(saves);
    expect(file.writes).toBeGreaterThanOrEqual(1);
    expect(file.writes).toBeLessThanOrEqual(2);
    expect(JSON.parse(readFileSync(join(dir, 'sub', 'state.json'), 'utf8'))).toEqual({ value: 200 });
    // No temporary file is left behind.
    expect(readdirSync(join(dir, 'sub'))).toEqual(['state.json']);
  });

  it('loads nothing when there is no file, and a valid file as stored', async () => {
    const dir = tmp();
    const path = join(dir, 'state.json');
    const { log, warnings } = quietLog();
    expect(await new StateFile(path, () => ({}), log).load((raw) => raw)).toBeUndefined();
    writeFileSync(path, '{"a":1}');
    expect(await new StateFile(path, () => ({}), log).load((raw) => raw)).toEqual({ a: 1 });
    expect(warnings).toEqual([]);
  });

  it.each([
    ['truncated JSON', '{"version":1,"heartb'],
    ['binary garbage', '\u0000\u0001\u0002'],
    ['valid JSON of the wrong shape', '{"version":2}'],
  ])('sets aside %s, warns once, and starts empty', async (_name, text) => {
    const dir = tmp();
    const path = join(dir, 'state.json');
    writeFileSync(path, text);
    const { log, warnings } = quietLog();
    const loaded = await new StateFile(path, () => ({}), log).load((raw) => {
      if ((raw as { version?: number }).version !== 1) throw new Error('unsupported version');
      return raw;
    });
    expect(loaded).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('corrupt');
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^state\.json\.corrupt-\d{4}-\d\d-\d\dT/);
    expect(readFileSync(join(dir, files[0]!), 'utf8')).toBe(text);
  });

  it('treats an unreadable path (a directory) as corrupt, not fatal', async () => {
    const dir = tmp();
    const path = join(dir, 'state.json');
    mkdirSync(path); // EISDIR when read
    const { log, warnings } = quietLog();
    expect(await new StateFile(path, () => ({ ok: true }), log).load((raw) => raw)).toBeUndefined();
    expect(warnings).toHaveLength(1);
    expect(readdirSync(dir).some((f) => f.startsWith('state.json.corrupt-'))).toBe(true);
  });
});
