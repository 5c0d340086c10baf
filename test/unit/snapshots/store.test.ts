import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileSnapshotStore, SNAPSHOT_ID, snapshotId, SnapshotTooLarge } from '../../../src/snapshots/store.js';
import { SNAPSHOT_SCHEMA_VERSION, type Snapshot } from '../../../src/snapshots/types.js';
import { captureLogger } from '../../support/collection.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'sockeye-snapstore-'));
  dirs.push(d);
  return join(d, 'snapshots');
}

let clock = Date.UTC(2026, 11, 7, 9, 0, 0);

/** A snapshot whose file is about `pad` bytes more than the bare shape. */
function snapshot(target: string, pad = 0, reason: Snapshot['reason'] = { kind: 'manual', detail: 'test' }): Snapshot {
  const savedAt = (clock += 1000);
  const holdings = { openFds: 3, maxFds: 1024, fdUsageRatio: 3 / 1024, fds: null, paths: [{ path: 'x'.repeat(pad), count: 1 }], sockets: [], peers: [], listen: [], queues: { rx: 0, tx: 0 } };
  return {
    schemaVersion: SNAPSHOT_SCHEMA_VERSION,
    id: snapshotId(target, savedAt),
    savedAt,
    reason,
    crossed: [],
    target: {
      name: target,
      time: savedAt - 10,
      total: { ...holdings, residentBytes: null, memoryLimitBytes: null, workingSetBytes: null, oomKills: null, threads: 1, cpuUserSeconds: 0, cpuSystemSeconds: 0 },
      socketAges: [],
      processes: [],
      readable: true,
      problems: [],
    },
    collection: { durationSeconds: 0.01, procRoot: '/proc', collectors: [], problems: [], reader: { uid: 0, capSysPtrace: true, capDacReadSearch: true } },
  };
}

/** The pid of a process that has exited (and was reaped). */
async function deadPid(): Promise<number> {
  const child = spawn('true');
  await new Promise((resolve) => child.once('exit', resolve));
  return child.pid!;
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  // Made at the first save.
  for (const name of existsSync(dir) ? await readdir(dir) : []) {
    // Removed since the listing: no longer on the disk.
    total += await stat(join(dir, name)).then((st) => st.size, () => 0);
  }
  return total;
}

describe('snapshotId', () => {
  it('sorts by time, names the target file-safely, and matches SNAPSHOT_ID', () => {
    const at = Date.UTC(2026, 11, 7, 9, 15, 2, 123);
    expect(snapshotId('web', at, '7f3a')).toBe('20261207T091502.123Z-web-7f3a');
    // Zero-config targets are command names: anything but "/" and NUL.
    expect(snapshotId('kworker/0:1 x', at, '0000')).toBe('20261207T091502.123Z-kworker_0_1_x-0000');
    expect(SNAPSHOT_ID.test(snapshotId('a'.repeat(200), at))).toBe(true);
    expect(SNAPSHOT_ID.test('../../etc/passwd')).toBe(false);
  });
});

describe('FileSnapshotStore', () => {
  it('saves durably (the directory made, 0700, at the first save), lists newest first, reads back, and lists again after a reopen', async () => {
    const dir = await tempDir();
    const log = captureLogger();
    const store = await FileSnapshotStore.open(dir, { maxCount: 10, maxBytes: 1 << 20, maxBaselines: 10 }, log);
    expect(existsSync(dir)).toBe(false);
    const a = snapshot('a');
    const b = snapshot('b');
    const sa = await store.save(a);
    await store.save(b);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(join(dir, `${a.id}.json`))).mode & 0o777).toBe(0o600);
    expect(sa).toEqual({ id: a.id, target: 'a', savedAt: a.savedAt, takenAt: a.target.time, reason: a.reason, bytes: (await stat(join(dir, `${a.id}.json`))).size, openFds: 3 });
    expect(store.list().map((s) => s.id)).toEqual([b.id, a.id]);
    expect(await store.get(a.id)).toEqual(a);
    expect(await store.get(snapshotId('zzz', 0, 'ffff'))).toBeUndefined();
    const again = await FileSnapshotStore.open(dir, { maxCount: 10, maxBytes: 1 << 20, maxBaselines: 10 }, log);
    expect(again.list()).toEqual(store.list());
    expect(log.lines).toEqual([]);
  });

  it('drops the oldest past maxCount', async () => {
    const dir = await tempDir();
    const store = await FileSnapshotStore.open(dir, { maxCount: 3, maxBytes: 1 << 20, maxBaselines: 10 }, captureLogger());
    const saved: string[] = [];
    for (let i = 0; i < 5; i++) saved.push((await store.save(snapshot(`t${i}`))).id);
    expect(store.list().map((s) => s.id)).toEqual(saved.slice(2).reverse());
    expect((await readdir(dir)).sort()).toEqual(saved.slice(2).map((id) => `${id}.json`));
    expect(await store.get(saved[0]!)).toBeUndefined();
  });

  it('never holds more than maxBytes in the directory, even while writing, and refuses one larger than the bound', async () => {
    const dir = await tempDir();
    const maxBytes = 20_000;
    const store = await FileSnapshotStore.open(dir, { maxCount: 1000, maxBytes, maxBaselines: 10 }, captureLogger());
    // Saves in flight together, the directory measured all along: the bound holds throughout.
    let done = false;
    const seen: number[] = [];
    const watcher = (async () => {
      while (!done) seen.push(await dirBytes(dir));
    })();
    await Promise.all(Array.from({ length: 12 }, (_, i) => store.save(snapshot(`t${i}`, 3000 + i * 100))));
    done = true;
    await watcher;
    expect(seen.length).toBeGreaterThan(3);
    expect(Math.max(...seen)).toBeLessThanOrEqual(maxBytes);
    expect(store.bytes()).toBe(await dirBytes(dir));
    expect(store.list().length).toBeGreaterThanOrEqual(4);
    await expect(store.save(snapshot('huge', maxBytes))).rejects.toBeInstanceOf(SnapshotTooLarge);
  });

  it('a lowered bound drops the oldest at the next open and on setBounds', async () => {
    const dir = await tempDir();
    const store = await FileSnapshotStore.open(dir, { maxCount: 10, maxBytes: 1 << 20, maxBaselines: 10 }, captureLogger());
    for (let i = 0; i < 4; i++) await store.save(snapshot(`t${i}`));
    const newest = store.list().map((s) => s.id);
    const reopened = await FileSnapshotStore.open(dir, { maxCount: 3, maxBytes: 1 << 20, maxBaselines: 10 }, captureLogger());
    expect(reopened.list().map((s) => s.id)).toEqual(newest.slice(0, 3));
    await reopened.setBounds({ maxCount: 1, maxBytes: 1 << 20, maxBaselines: 10 });
    expect((await readdir(dir)).length).toBe(1);
  });

  it('sets a corrupt or foreign-shaped snapshot file aside, leaves files not named like one alone, removes temp files; each logged once', async () => {
    const dir = await tempDir();
    const store = await FileSnapshotStore.open(dir, { maxCount: 10, maxBytes: 1 << 20, maxBaselines: 10 }, captureLogger());
    const good = await store.save(snapshot('good'));
    const truncated = snapshotId('cut', clock + 5000, 'aaaa');
    const wrongShape = snapshotId('shape', clock + 6000, 'bbbb');
    const newer = snapshotId('future', clock + 7000, 'cccc');
    await writeFile(join(dir, `${truncated}.json`), '{"schemaVersion":1,"id":"');
    await writeFile(join(dir, `${wrongShape}.json`), JSON.stringify({ schemaVersion: 1, id: wrongShape }));
    await writeFile(join(dir, `${newer}.json`), JSON.stringify({ schemaVersion: 99, id: newer }));
    await writeFile(join(dir, 'notes.txt'), 'mine');
    await writeFile(join(dir, `${good.id}.json.tmp-${await deadPid()}`), '{"half');
    const log = captureLogger();
    const reopened = await FileSnapshotStore.open(dir, { maxCount: 10, maxBytes: 1 << 20, maxBaselines: 10 }, log);
    expect(reopened.list().map((s) => s.id)).toEqual([good.id]);
    const names = await readdir(dir);
    expect(names.filter((n) => n.startsWith(truncated))).toEqual([expect.stringMatching(/\.json\.corrupt-/)]);
    expect(names.filter((n) => n.startsWith(wrongShape))).toEqual([expect.stringMatching(/\.json\.corrupt-/)]);
    expect(names).toContain(`${newer}.json`);
    expect(names).toContain('notes.txt');
    expect(names.some((n) => n.includes('.tmp-'))).toBe(false);
    expect(log.lines.map((l) => l.msg).sort()).toEqual([
      'invalid snapshot file set aside',
      'invalid snapshot file set aside',
      'not a snapshot file; left alone',
      'snapshot of schema version 99, this sockeye reads 1; left alone',
    ]);
    // Set aside once: a third start says nothing more about them.
    const quiet = captureLogger();
    await FileSnapshotStore.open(dir, { maxCount: 10, maxBytes: 1 << 20, maxBaselines: 10 }, quiet);
    expect(quiet.lines.map((l) => l.msg).sort()).toEqual(['not a snapshot file; left alone', 'snapshot of schema version 99, this sockeye reads 1; left alone']);
    expect(JSON.parse(await readFile(join(dir, `${good.id}.json`), 'utf8')).id).toBe(good.id);
  });
});

describe('FileSnapshotStore baselines', () => {
  const baseline = (target: string) => snapshot(target, 0, { kind: 'baseline', detail: 'no trigger crossed for 600s' });

  it('are not dropped by a burst of incident snapshots; one per target, the newest; at most maxBaselines, the least recently refreshed going first', async () => {
    const dir = await tempDir();
    const store = await FileSnapshotStore.open(dir, { maxCount: 3, maxBytes: 1 << 20, maxBaselines: 2 }, captureLogger());
    const web1 = await store.save(baseline('web'));
    const db = await store.save(baseline('db'));
    for (let i = 0; i < 6; i++) await store.save(snapshot('web'));
    const kinds = () => store.list().map((s) => s.reason.kind);
    expect(kinds().filter((k) => k === 'baseline')).toHaveLength(2);
    expect(kinds().filter((k) => k !== 'baseline')).toHaveLength(3);
    expect(store.baselineOf('web')?.id).toBe(web1.id);
    // Refreshed: the new one replaces the old, whose file goes.
    const web2 = await store.save(baseline('web'));
    expect(store.baselineOf('web')?.id).toBe(web2.id);
    expect(existsSync(join(dir, `${web1.id}.json`))).toBe(false);
    // A third target: db's, refreshed longest ago, goes.
    const cache = await store.save(baseline('cache'));
    expect(store.baselineOf('db')).toBeUndefined();
    expect(existsSync(join(dir, `${db.id}.json`))).toBe(false);
    expect((await readdir(dir)).length).toBe(5);
    // Kept across a reopen, apart from the incident snapshots' bounds.
    const again = await FileSnapshotStore.open(dir, { maxCount: 1, maxBytes: 1 << 20, maxBaselines: 2 }, captureLogger());
    expect(again.baselineOf('web')?.id).toBe(web2.id);
    expect(again.baselineOf('cache')?.id).toBe(cache.id);
    expect(again.list().filter((s) => s.reason.kind !== 'baseline')).toHaveLength(1);
  });

  it('two of one target on disk (a crash between writing the new and removing the old): the newer is kept at open', async () => {
    const dir = await tempDir();
    const first = await FileSnapshotStore.open(dir, { maxCount: 10, maxBytes: 1 << 20, maxBaselines: 10 }, captureLogger());
    const old = await first.save(baseline('web'));
    // A second store on the directory writes another: the first's list does not know it, so nothing removed the old one.
    const other = await FileSnapshotStore.open(dir, { maxCount: 10, maxBytes: 1 << 20, maxBaselines: 10 }, captureLogger());
    const b = baseline('web');
    await writeFile(join(dir, `${b.id}.json`), JSON.stringify(b));
    expect((await readdir(dir)).length).toBe(2);
    void other;
    const reopened = await FileSnapshotStore.open(dir, { maxCount: 10, maxBytes: 1 << 20, maxBaselines: 10 }, captureLogger());
    expect(reopened.baselineOf('web')?.id).toBe(b.id);
    expect(existsSync(join(dir, `${old.id}.json`))).toBe(false);
  });
});

describe('FileSnapshotStore shared by two writers', () => {
  it('a save and a refresh list what the other stored and removed; eviction counts the other\'s files', async () => {
    const dir = await tempDir();
    const bounds = { maxCount: 3, maxBytes: 1 << 20, maxBaselines: 10 };
    const server = await FileSnapshotStore.open(dir, bounds, captureLogger());
    await server.save(snapshot('web'));
    const inspect = await FileSnapshotStore.open(dir, bounds, captureLogger());
    const fromInspect = await inspect.save(snapshot('web'));
    expect(server.list().map((s) => s.id)).not.toContain(fromInspect.id);
    await server.refresh();
    expect(server.list()[0]).toEqual(fromInspect);
    await inspect.save(snapshot('web'));
    await server.save(snapshot('web'));
    // Four saved, three kept: the server's save made room counting the inspect's files.
    expect((await readdir(dir)).length).toBe(3);
    expect(server.list()).toHaveLength(3);
    await inspect.refresh();
    expect(inspect.list()).toEqual(server.list());
  });

  it('at open, removes temporary files of dead writers and stale ones, and leaves a running writer\'s fresh one', async () => {
    const dir = await tempDir();
    await FileSnapshotStore.open(dir, { maxCount: 10, maxBytes: 1 << 20, maxBaselines: 10 }, captureLogger()).then((s) => s.save(snapshot('web')));
    // A real process stands for the other writer, alive while the store opens.
    const writer = spawn('sleep', ['600'], { stdio: 'ignore' });
    try {
      const inFlight = `${snapshotId('web', clock + 1, 'aaaa')}.json.tmp-${writer.pid}`;
      const stale = `${snapshotId('web', clock + 2, 'bbbb')}.json.tmp-${writer.pid}`;
      const dead = `${snapshotId('web', clock + 3, 'cccc')}.json.tmp-${await deadPid()}`;
      const own = `${snapshotId('web', clock + 4, 'dddd')}.json.tmp-${process.pid}`;
      for (const name of [inFlight, stale, dead, own]) await writeFile(join(dir, name), '{"half');
      const elevenMinutesAgo = new Date(Date.now() - 11 * 60_000);
      await utimes(join(dir, stale), elevenMinutesAgo, elevenMinutesAgo);
      const log = captureLogger();
      await FileSnapshotStore.open(dir, { maxCount: 10, maxBytes: 1 << 20, maxBaselines: 10 }, log);
      const names = await readdir(dir);
      expect(names.filter((n) => n.includes('.tmp-'))).toEqual([inFlight]);
      expect(log.lines).toEqual([]);
    } finally {
      writer.kill('SIGKILL');
    }
  });
});

describe('FileSnapshotStore on an unusable directory', () => {
  it('opens empty, says why once, and each save fails without stopping anything', async () => {
    const parent = await tempDir();
    // A file where a directory should be: reading it fails (ENOTDIR), as an unreadable stateDir would.
    await writeFile(`${parent}.file`, 'x');
    const dir = join(`${parent}.file`, 'snapshots');
    const log = captureLogger();
    const store = await FileSnapshotStore.open(dir, { maxCount: 10, maxBytes: 1 << 20, maxBaselines: 10 }, log);
    expect(store.list()).toEqual([]);
    expect(log.lines.map((l) => l.msg)).toEqual(['snapshot directory unusable; snapshots cannot be stored']);
    await expect(store.save(snapshot('x'))).rejects.toThrow(/ENOTDIR/);
    expect(store.list()).toEqual([]);
    await rm(`${parent}.file`, { force: true });
  });
});
