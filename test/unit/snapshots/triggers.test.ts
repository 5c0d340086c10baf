import { describe, expect, it } from 'vitest';
import type { TargetSnapshot, Usage } from '../../../src/collectors/snapshot.js';
import { DEFAULT_TRIGGERS } from '../../../src/config/snapshots.js';
import { evaluateTriggers, lifecycleChange, processIds, type Sample } from '../../../src/snapshots/triggers.js';

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

  it('fd growth counts from the lowest value within the window, not from older samples', () => {
    const min = 60_000;
    const samples: Sample[] = [
      { time: 0, openFds: 10, memoryBytes: null },
      { time: 50 * min, openFds: 60, memoryBytes: null },
      { time: 60 * min, openFds: 159, memoryBytes: null },
    ];
    // 10 is 60 minutes back, outside the 40m window: 159 - 60 = 99 < 100.
    expect(names(target({ openFds: 159 }), samples)).toEqual([]);
    samples.push({ time: 61 * min, openFds: 160, memoryBytes: null });
    const fired = evaluateTriggers(DEFAULT_TRIGGERS, target({ openFds: 160 }), samples);
    expect(fired).toEqual([{ trigger: 'fd_growth', detail: 'open fds 60 -> 160 within 40m (+100 >= 100)' }]);
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
    const mib = 1024 * 1024;
    const samples: Sample[] = [
      { time: 0, openFds: 10, memoryBytes: 100 * mib },
      { time: 1000, openFds: 10, memoryBytes: 164 * mib },
    ];
    expect(names(target({ residentBytes: 164 * mib }), samples)).toEqual(['memory_growth']);
  });

  it('a trigger set to false never fires; a target with no process crosses none', () => {
    expect(evaluateTriggers({ ...DEFAULT_TRIGGERS, fdUsage: false }, target({ fdUsageRatio: 1 }), [])).toEqual([]);
    expect(names(target({ fdUsageRatio: 1 }, { processes: [] }))).toEqual([]);
  });
});

describe('lifecycleChange', () => {
  const all = (ids: string[]) => new Set(ids);

  it('the same processes: nothing; pid and start time both identify one', () => {
    expect(lifecycleChange(['1:10', '2:20'], ['2:20', '1:10'], all(['1:10', '2:20']))).toBeUndefined();
    // pid 1 reused by a new process.
    expect(lifecycleChange(['1:10'], ['1:99'], all(['1:10']))).toEqual({ kind: 'restarted', detail: 'pid 1 gone, pid 1 new' });
  });

  it('all gone: vanished; some gone with none new: vanished with the rest named; replaced: restarted', () => {
    expect(lifecycleChange(['1:10', '2:20'], [], all(['1:10', '2:20']))).toEqual({ kind: 'vanished', detail: 'pids 1, 2 gone, no process left' });
    expect(lifecycleChange(['1:10', '2:20'], ['1:10'], all(['1:10', '2:20']))).toEqual({ kind: 'vanished', detail: 'pid 2 gone, 1 left' });
    expect(lifecycleChange(['1:10'], ['3:30'], all(['1:10']))).toEqual({ kind: 'restarted', detail: 'pid 1 gone, pid 3 new' });
  });

  it('a process that had not settled (younger than restarts.minLifetime) going is turnover, not a change', () => {
    expect(lifecycleChange(['1:10', '2:20'], ['1:10'], all(['1:10']))).toBeUndefined();
  });

  it('processIds pairs pid with start time', () => {
    expect(processIds(target())).toEqual(['100:5000']);
  });
});
