import { describe, expect, it } from 'vitest';
import { changesOf, earlierOf } from '../../src/snapshots/compare.js';
import { diffPictures } from '../../src/snapshots/diff.js';
import type { Snapshot, SnapshotProcess, SnapshotSummary, TargetPicture } from '../../src/snapshots/types.js';

// The snapshot diff on hand-made pictures: each kind of line, its wording,
// the order (largest relative change first) and the bound.

const MiB = 1024 * 1024;

function proc(pid: number, over: Partial<SnapshotProcess> = {}): SnapshotProcess {
  return {
    pid,
    ppid: 1,
    startTimeSeconds: 1_790_000_000 + pid,
    comm: 'node',
    cmdline: 'node server.js',
    uid: 1000,
    maxFdsHard: 4096,
    residentBytes: 100 * MiB,
    threads: 4,
    cpuUserSeconds: 1,
    cpuSystemSeconds: 1,
    readable: true,
    problems: [],
    openFds: 40,
    maxFds: 1024,
    fdUsageRatio: 40 / 1024,
    fds: null,
    paths: [],
    sockets: [],
    peers: [],
    listen: [],
    queues: { rx: 0, tx: 0 },
    ...over,
  };
}

function picture(over: Partial<TargetPicture['total']> = {}, processes: SnapshotProcess[] = [proc(100)]): TargetPicture {
  return {
    name: 'web',
    time: 1_796_000_000_000,
    total: {
      openFds: 40,
      maxFds: 1024,
      fdUsageRatio: 40 / 1024,
      fds: { file: 20, socket: 10, pipe: 4, device: 3, eventfd: 1, eventpoll: 1, timerfd: 1, signalfd: 0, inotify: 0, anon_inode: 0, other: 0 } as never,
      paths: [
        { path: '/srv/public/index.html', count: 8 },
        { path: '/var/log/app.log', count: 1 },
      ],
      sockets: [
        { protocol: 'tcp', state: 'listen', peer: null, localPort: 8080, count: 1, rx: 0, tx: 0, oldestSeconds: null },
        { protocol: 'tcp', state: 'established', peer: '10.0.0.7', localPort: null, count: 4, rx: 0, tx: 0, oldestSeconds: 30 },
      ],
      peers: [{ peer: '10.0.0.7', count: 4, states: { established: 4 } }],
      listen: [{ port: 8080, queue: 0, backlog: 128 }],
      queues: { rx: 0, tx: 0 },
      residentBytes: 100 * MiB,
      memoryLimitBytes: 1024 * MiB,
      workingSetBytes: 120 * MiB,
      oomKills: 0,
      threads: 4,
      cpuUserSeconds: 1,
      cpuSystemSeconds: 1,
      ...over,
    },
    socketAges: [],
    processes,
    readable: true,
    problems: [],
  };
}

const texts = (before: TargetPicture, after: TargetPicture, limit?: number) => diffPictures(before, after, limit).lines.map((l) => l.text);

describe('diffPictures', () => {
  it('no change: no lines', () => {
    expect(diffPictures(picture(), picture())).toEqual({ lines: [], omitted: 0 });
  });

  it('a path leak: the path with its new handles first, then the fd total', () => {
    const after = picture({ openFds: 3952, fdUsageRatio: 3952 / 4096, maxFds: 4096, paths: [{ path: '/srv/public/index.html', count: 3920 }, { path: '/var/log/app.log', count: 1 }] });
    expect(texts(picture(), after)).toEqual(['+3,912 handles to /srv/public/index.html', '+3,912 open fds (3,952 of 4,096)']);
  });

  it('a new path outranks one that merely doubled; equal relative changes go larger first; one handle is "handle"', () => {
    const after = picture({ paths: [{ path: '/srv/public/index.html', count: 16 }, { path: '/var/log/app.log', count: 1 }, { path: '/tmp/upload-1', count: 3 }] });
    expect(texts(picture(), after)).toEqual(['+3 handles to /tmp/upload-1', '+8 handles to /srv/public/index.html']);
    const tie = picture({ paths: [{ path: '/srv/public/index.html', count: 16 }, { path: '/var/log/app.log', count: 1 }, { path: '/tmp/upload-1', count: 1 }] });
    expect(texts(picture(), tie)).toEqual(['+8 handles to /srv/public/index.html', '+1 handle to /tmp/upload-1']);
    const fewer = picture({ paths: [{ path: '/srv/public/index.html', count: 8 }] });
    expect(texts(picture(), fewer)).toEqual(['-1 handle to /var/log/app.log']);
  });

  it('many paths of one directory that changed a little are one line; the one that changed far more keeps its own', () => {
    const uploads = Array.from({ length: 300 }, (_, i) => ({ path: `/srv/public/upload-${i}`, count: 1 }));
    const after = picture({ paths: [{ path: '/srv/public/index.html', count: 3920 }, { path: '/var/log/app.log', count: 1 }, ...uploads] });
    expect(texts(picture(), after)).toEqual(['+3,912 handles to /srv/public/index.html', '+300 handles to 300 paths under /srv/public/']);
    // Going away is folded apart from coming.
    const cache = (n: number) => Array.from({ length: 6 }, (_, i) => ({ path: `/var/cache/app/${i}`, count: n }));
    const base = picture().total.paths;
    expect(texts(picture({ paths: [...base, ...cache(2)] }), picture({ paths: [...base, ...cache(1)] }))).toEqual(['-6 handles to 6 paths under /var/cache/app/']);
    // Four are still told one by one.
    const four = Array.from({ length: 4 }, (_, i) => ({ path: `/tmp/t${i}`, count: 1 }));
    expect(texts(picture(), picture({ paths: [...base, ...four] }))).toEqual(['+1 handle to /tmp/t0', '+1 handle to /tmp/t1', '+1 handle to /tmp/t2', '+1 handle to /tmp/t3']);
  });

  it('sockets: by state and peer, listeners left to the queue line', () => {
    const after = picture({
      sockets: [
        { protocol: 'tcp', state: 'listen', peer: null, localPort: 8080, count: 1, rx: 0, tx: 0, oldestSeconds: null },
        { protocol: 'tcp', state: 'established', peer: '10.0.0.7', localPort: null, count: 4, rx: 0, tx: 0, oldestSeconds: 30 },
        { protocol: 'tcp', state: 'close_wait', peer: '10.0.0.7', localPort: null, count: 180, rx: 0, tx: 0, oldestSeconds: 600 },
        { protocol: 'unix', state: 'connected', peer: null, localPort: null, count: 3, rx: 0, tx: 0, oldestSeconds: null },
      ],
    });
    expect(texts(picture(), after)).toEqual(['+180 CLOSE_WAIT to 10.0.0.7', '+3 unix CONNECTED sockets']);
  });

  it('a filling accept queue: the port, queue and backlog', () => {
    const after = picture({ listen: [{ port: 8080, queue: 42, backlog: 128 }] });
    expect(texts(picture(), after)).toEqual(['listen queue on :8080 42/128']);
    // Draining is not news.
    expect(texts(after, picture())).toEqual([]);
  });

  it('processes: the count and which pids came and went', () => {
    const after = picture({}, [proc(100), proc(101)]);
    expect(texts(picture(), after)).toEqual(['+1 process', 'pid 101 new']);
    const many = picture({}, [proc(100), proc(101), proc(102), proc(103), proc(104)]);
    expect(texts(picture(), many)).toEqual(['+4 processes', 'pids 101, 102, 103 and 1 more new']);
  });

  it('different processes: a restart (same count, new pid; or the same pid with a new start time) says which', () => {
    expect(texts(picture(), picture({}, [proc(200)]))).toEqual(['pid 100 gone', 'pid 200 new']);
    const reused = picture({}, [proc(100, { startTimeSeconds: 1_790_009_999 })]);
    expect(texts(picture(), reused)).toEqual(['pid 100 gone', 'pid 100 new']);
  });

  it('memory: RSS (what the processes keep) and the cgroup\'s working set, each when it moved; small moves are noise', () => {
    // The cgroup's working set grew (page cache, other processes in it) while the processes kept what they had.
    expect(texts(picture(), picture({ workingSetBytes: 532 * MiB }))).toEqual(['working set +412 MiB']);
    expect(texts(picture(), picture({ workingSetBytes: 120 * MiB + 1000 }))).toEqual([]);
    expect(texts(picture(), picture({ residentBytes: 150 * MiB, workingSetBytes: 170 * MiB }))).toEqual(['RSS +50 MiB', 'working set +50 MiB']);
    const noCgroup = { workingSetBytes: null, memoryLimitBytes: null };
    expect(texts(picture(noCgroup), picture({ ...noCgroup, residentBytes: 150 * MiB }))).toEqual(['RSS +50 MiB']);
  });

  it('threads, other fd kinds and OOM kills (always first)', () => {
    const fds = { ...picture().total.fds!, pipe: 204 };
    const after = picture({ threads: 44, fds, oomKills: 1 });
    expect(texts(picture(), after)).toEqual(['+1 OOM kill', '+200 pipe fds', '+40 threads']);
  });

  it('target gone: one line and the pids, not a minus per path', () => {
    const gone = picture({ openFds: null, fds: null, paths: [], sockets: [], peers: [], listen: [], residentBytes: null, workingSetBytes: null, threads: 0 }, []);
    expect(texts(picture({}, [proc(100), proc(101)]), gone)).toEqual(['target gone: 2 processes before, none now', 'pids 100, 101 gone']);
  });

  it('a target that could not be read (null counts) gives no made-up fd change', () => {
    expect(texts(picture(), picture({ openFds: null, fds: null }))).toEqual([]);
  });

  it('is bounded, largest relative change first, and says how many were left out', () => {
    const paths = Array.from({ length: 30 }, (_, i) => ({ path: `/data/f${String(i).padStart(2, '0')}`, count: i + 1 }));
    const d = diffPictures(picture({ paths: [] }), picture({ paths }), 5);
    expect(d.lines.map((l) => l.text)).toEqual(['+30 handles to /data/f29', '+29 handles to /data/f28', '+28 handles to /data/f27', '+27 handles to /data/f26', '+26 handles to /data/f25']);
    expect(d.omitted).toBe(25);
    expect(d.lines.every((l) => l.kind === 'path')).toBe(true);
  });
});

describe('earlierOf and changesOf: the snapshot before and the healthy baseline', () => {
  type Kind = 'manual' | 'trigger' | 'baseline';
  const reasonOf = (kind: Kind): Snapshot['reason'] => (kind === 'trigger' ? { kind, trigger: 'close_wait', detail: '60 sockets in CLOSE_WAIT >= 50' } : { kind, detail: 'test' });
  const s = (id: string, target: string, takenAt: number, kind: Kind): SnapshotSummary => ({ id, target, takenAt, savedAt: takenAt + 10, bytes: 100, openFds: 1, reason: reasonOf(kind) });
  // Newest first, as the store lists them.
  const list = [s('g', 'web', 70, 'baseline'), s('f', 'web', 60, 'manual'), s('e', 'web', 50, 'trigger'), s('d', 'db', 40, 'manual'), s('c', 'web', 30, 'trigger'), s('b', 'web', 20, 'baseline'), s('a', 'web', 10, 'trigger')];
  const ids = (r: ReturnType<typeof earlierOf>) => [r.previous?.id, r.baseline?.id];

  it('previous: the incident snapshot of the same target just before; baseline: its baseline taken before, never counted as the previous', () => {
    expect(ids(earlierOf(list, { id: 'f', target: 'web', takenAt: 60 }))).toEqual(['e', 'b']);
    expect(ids(earlierOf(list, { id: 'c', target: 'web', takenAt: 30 }))).toEqual(['a', 'b']);
    expect(ids(earlierOf(list, { id: 'a', target: 'web', takenAt: 10 }))).toEqual([undefined, undefined]);
    expect(ids(earlierOf(list, { id: 'd', target: 'db', takenAt: 40 }))).toEqual([undefined, undefined]);
    // A later snapshot compares with the newer baseline.
    expect(ids(earlierOf(list, { id: 'h', target: 'web', takenAt: 80 }))).toEqual(['f', 'g']);
  });

  it('changesOf diffs against both, and a snapshot dropped meanwhile is as if never there', async () => {
    const closeWait = (n: number) => ({ protocol: 'tcp' as const, state: 'close_wait', peer: '10.0.0.7', localPort: null, count: n, rx: 0, tx: 0, oldestSeconds: 1 });
    const snap = (id: string, takenAt: number, kind: Kind, pic: TargetPicture): Snapshot => ({
      schemaVersion: 1,
      id,
      savedAt: takenAt,
      reason: reasonOf(kind),
      crossed: [],
      target: { ...pic, time: takenAt },
      collection: { durationSeconds: 0, procRoot: '/proc', collectors: [], problems: [], reader: { uid: 0, capSysPtrace: true, capDacReadSearch: true } },
    });
    const stored = [
      snap('s1', 10, 'baseline', picture({ sockets: [closeWait(2)] })),
      snap('s2', 20, 'trigger', picture({ sockets: [closeWait(60)] })),
      snap('s3', 30, 'trigger', picture({ sockets: [closeWait(180)] })),
    ];
    const store = {
      list: () => stored.map((x) => ({ id: x.id, target: 'web', savedAt: x.savedAt, takenAt: x.target.time, reason: x.reason, bytes: 1, openFds: 40 })).reverse(),
      get: async (id: string) => stored.find((x) => x.id === id),
    };
    const c = await changesOf(store, stored[2]!);
    expect([c.previous?.id, c.baseline?.id]).toEqual(['s2', 's1']);
    expect(c.previous?.diff.lines.map((l) => l.text)).toEqual(['+120 CLOSE_WAIT to 10.0.0.7']);
    expect(c.baseline?.diff.lines.map((l) => l.text)).toEqual(['+178 CLOSE_WAIT to 10.0.0.7']);
    // The first incident after the baseline: nothing before it, the baseline still.
    expect(await changesOf(store, stored[1]!)).toMatchObject({ previous: null, baseline: { id: 's1' } });
    expect(await changesOf({ list: store.list, get: async () => undefined }, stored[2]!)).toEqual({ previous: null, baseline: null });
  });
});
