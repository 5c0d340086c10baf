import { describe, expect, it } from 'vitest';
import type { TargetSnapshot, Usage } from '../../../src/collectors/snapshot.js';
import { DEFAULT_TRIGGERS } from '../../../src/config/snapshots.js';
import { evaluateTriggers, lifecycleChange, processRefs, type ProcessRef, type Sample } from '../../../src/snapshots/triggers.js';

function usage(over: Partial<Usage> = {}): Usage {
  return {
    openFds: 10,
    maxFds: 1024,
    fdUsageRatio: 10 / 1024,
    fds: null,
    paths: [],
    sockets: [],
    peers: [],
    queues: { rx: 0, tx: 0 },
    listen: [],
    residentBytes: 50 * 1024 * 1024,
    memoryLimitBytes: null,
    workingSetBytes: null,
    oomKills: null,
    cpuUserSeconds: 0,
    cpuSystemSeconds: 0,
    threads: 1,
    ...over,
  };
}

function target(total: Partial<Usage> = {}, extra: Partial<TargetSnapshot> = {}): TargetSnapshot {
  const u = usage(total);
  return {
    name: 'web',
    auto: false,
    processesMin: 1,
    processesMax: null,
    processes: [{ ...u, pid: 100, starttime: 5000, ppid: 1, startTimeSeconds: 1, comm: 'web', cmdline: 'web', uid: 0, maxFdsHard: 4096, readable: true, problems: [] }],
    readable: true,
    total: u,
    socketAges: [],
    problems: [],
    ...extra,
  };
}

const names = (t: TargetSnapshot, samples: Sample[] = []) => evaluateTriggers(DEFAULT_TRIGGERS, t, samples).map((f) => f.trigger);

describe('evaluateTriggers with the defaults', () => {
  it('a quiet target crosses none', () => {
    expect(names(target())).toEqual([]);
  });

  it('fd usage at the FdUsageHigh warning ratio fires, just under it does not', () => {
    expect(names(target({ openFds: 820, fdUsageRatio: 0.8 }))).toEqual(['fd_usage']);
    expect(names(target({ openFds: 818, fdUsageRatio: 0.799 }))).toEqual([]);
  });

  const min = 60_000;
  /** A sample a minute from `from` to `to` minutes, open fds (and RSS in MiB) from `fds(minute)`. */
  const series = (from: number, to: number, fds: (m: number) => number, rssMiB: (m: number) => number = () => 100): Sample[] => {
    const out: Sample[] = [];
    for (let m = from; m <= to; m++) out.push({ time: m * min, openFds: fds(m), memoryBytes: rssMiB(m) * 1024 * 1024 });
    return out;
  };

  it('fd growth: a steady leak fires once it rose through each quarter of the window and the part before, from its lowest there', () => {
    // 4 a minute since minute 0, watched since minute -30: the part before the window (10..19) starts at 50.
    const leak = series(-30, 60, (m) => 10 + 4 * Math.max(0, m));
    const fired = evaluateTriggers(DEFAULT_TRIGGERS, target({ openFds: 250 }), leak);
    expect(fired).toEqual([{ trigger: 'fd_growth', detail: 'open fds 50 -> 250 within 40m (+200 >= 100)' }]);
    // Under +100: 1.5 a minute is +75 from the part before to now.
    expect(names(target(), series(-30, 60, (m) => 10 + 1.5 * Math.max(0, m)))).toEqual([]);
    // Rising only since minute 25: the part before the window (10..19) is no lower than the first quarter.
    expect(names(target(), series(-30, 60, (m) => 10 + 10 * Math.max(0, m - 25)))).toEqual([]);
  });

  it('fd growth: a ramp that levelled off (a warm-up) does not fire, however steep; nor before the window is covered', () => {
    // +600 in 15 minutes, then held: the lowest of the last quarters stop rising.
    const warmup = series(-30, 60, (m) => 3 + 40 * Math.min(15, Math.max(0, m)));
    for (let end = 1; end <= warmup.length; end++) expect(names(target(), warmup.slice(0, end))).toEqual([]);
    // A leak seen for 25 minutes only: the window's first quarters have no sample yet.
    expect(names(target(), series(35, 60, (m) => 10 + 10 * m))).toEqual([]);
  });
  it('CLOSE_WAIT: a count over all protocols, and long-lived ones by their age', () => {
    const sockets = [
      { protocol: 'tcp' as const, state: 'close_wait', count: 30 },
      { protocol: 'tcp6' as const, state: 'close_wait', count: 20 },
      { protocol: 'tcp' as const, state: 'established', count: 500 },
    ];
    expect(names(target({ sockets }))).toEqual(['close_wait']);
    expect(names(target({ sockets: sockets.slice(1) }))).toEqual([]);
    expect(names(target({}, { socketAges: [{ state: 'close_wait', oldestSeconds: 900, longLived: 5 }] }))).toEqual(['close_wait_stuck']);
    expect(names(target({}, { socketAges: [{ state: 'close_wait', oldestSeconds: 900, longLived: 4 }] }))).toEqual([]);
  });

  it('memory: the working set against the cgroup limit, RSS where there is no cgroup', () => {
    const limit = 1000 * 1024 * 1024;
    expect(names(target({ memoryLimitBytes: limit, workingSetBytes: 0.9 * limit }))).toEqual(['memory_usage']);
    expect(names(target({ memoryLimitBytes: limit, workingSetBytes: 0.5 * limit, residentBytes: 0.95 * limit }))).toEqual([]);
  });

  it('memory growth: RSS rising through the window by 64 MiB fires; the shared working set is not looked at', () => {
    const mib = 1024 * 1024;
    const rising = series(-30, 60, () => 10, (m) => 100 + 2 * Math.max(0, m));
    expect(names(target({ residentBytes: 220 * mib }), rising)).toEqual(['memory_growth']);
    // RSS flat, the cgroup's working set (every process in it, page cache) doubling: no leak of this target.
    const flat = series(-30, 60, () => 10);
    expect(names(target({ residentBytes: 100 * mib, workingSetBytes: 900 * mib }), flat)).toEqual([]);
  });

  it('a trigger set to false never fires; a target with no process crosses none', () => {
    expect(evaluateTriggers({ ...DEFAULT_TRIGGERS, fdUsage: false }, target({ fdUsageRatio: 1 }), [])).toEqual([]);
    expect(names(target({ fdUsageRatio: 1 }, { processes: [] }))).toEqual([]);
  });
});

describe('lifecycleChange', () => {
  const all = (procs: ProcessRef[]) => new Set(procs.map((p) => p.id));
  const p = (id: string, ppid = 1, command = 'node\0node server.js') => ({ id, ppid, command });
  const master = p('10:1', 1);
  const w1 = p('11:2', 10);
  const w2 = p('12:3', 10);

  it('the same processes: nothing; pid and start time both identify one', () => {
    expect(lifecycleChange([master, w1], [w1, master], all([master, w1]), 1)).toBeUndefined();
    // pid 11 reused by a new worker.
    expect(lifecycleChange([master, w1], [master, p('11:99', 10)], all([master, w1]), 1)).toEqual({ kind: 'restarted', detail: 'pid 11 gone, pid 11 new' });
  });

  it('a worker respawned by its master, or the whole app restarted (children paired through their parent): restarted', () => {
    expect(lifecycleChange([master, w1, w2], [master, w1, p('13:4', 10)], all([master, w1, w2]), 3)).toEqual({ kind: 'restarted', detail: 'pid 12 gone, pid 13 new' });
    const restarted = [p('20:5', 1), p('21:6', 20), p('22:7', 20)];
    expect(lifecycleChange([master, w1, w2], restarted, all([master, w1, w2]), 3)).toEqual({ kind: 'restarted', detail: 'pids 10, 11, 12 gone, pids 20, 21, 22 new' });
  });

  it('gone with fewer left than the minimum, or none at all: vanished', () => {
    expect(lifecycleChange([master, w1], [], all([master, w1]), 1)).toEqual({ kind: 'vanished', detail: 'pids 10, 11 gone, no process left' });
    expect(lifecycleChange([master, w1, w2], [master, w1], all([master, w1, w2]), 3)).toEqual({ kind: 'vanished', detail: 'pid 12 gone, 2 left' });
  });

  it('a process ending with enough left and nothing like it started (a session backend), or one that had not settled: turnover', () => {
    const backend = (id: string, client: string) => p(id, 10, `postgres\0postgres: app ${client}`);
    const before = [master, backend('30:1', '10.0.0.7'), backend('31:2', '10.0.0.8')];
    expect(lifecycleChange(before, [master, backend('31:2', '10.0.0.8'), backend('32:3', '10.0.0.9')], all(before), 1)).toBeUndefined();
    expect(lifecycleChange([master, w1, w2], [master, w1], all([master, w1]), 3)).toBeUndefined();
  });

  it('processRefs pairs pid with start time, and keeps parent and command', () => {
    expect(processRefs(target())).toEqual([{ id: '100:5000', ppid: 1, command: 'web\0web' }]);
  });
});
