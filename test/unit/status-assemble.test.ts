import { describe, expect, it } from 'vitest';
import { assembleStatus, judgeTarget, type CheckFacts, type HeartbeatFacts, type StatusInput, type TargetFacts } from '../../src/status/assemble.js';
import { statusReportSchema } from '../../src/status/schema.js';

const NOW = Date.parse('2026-11-22T08:00:00Z');

function target(over: Partial<TargetFacts> = {}): TargetFacts {
  return {
    name: 'web',
    pids: [100],
    processes: 1,
    processesMin: 1,
    processesMax: null,
    readable: true,
    openFds: 10,
    maxFds: 1024,
    fdUsageRatio: 10 / 1024,
    fdsByType: [{ name: 'file', count: 10 }],
    sockets: [],
    topPaths: [],
    topPeers: [],
    listen: [],
    closeWaitOldestSeconds: null,
    residentMemoryBytes: 1e6,
    memoryLimitBytes: null,
    threads: 1,
    startedAt: null,
    ...over,
  };
}

function check(name: string, state: CheckFacts['state'], over: Partial<CheckFacts> = {}): CheckFacts {
  return {
    name,
    type: 'http',
    target: 'GET http://127.0.0.1:1/health',
    state,
    reason: state === 'failing' ? 'refused' : null,
    message: state === 'failing' ? 'connect ECONNREFUSED 127.0.0.1:1' : null,
    lastRunAt: null,
    lastSuccessAt: null,
    latencySeconds: null,
    intervalSeconds: 15,
    timeoutSeconds: 5,
    running: false,
    certExpiresAt: null,
    phases: null,
    answerRecords: null,
    recent: [],
    ...over,
  };
}

function heartbeat(name: string, state: HeartbeatFacts['state'], ageSeconds: number | null): HeartbeatFacts {
  return { name, state, running: false, periodSeconds: 60, schedule: null, timezone: null, graceSeconds: 30, expectedAt: null, deadlineAt: null, recentPings: [], lastSuccessAt: null, lastFailAt: null, lastStartAt: null, lastDurationSeconds: null, lastExitStatus: state === 'failed' ? 3 : null, ageSeconds };
}

function input(over: Partial<StatusInput> = {}): StatusInput {
  return {
    nowMs: NOW,
    version: '1.2.3',
    startedAtMs: NOW - 60_000,
    scheduler: { running: true, lastTickMs: NOW - 1000, staleAfterSeconds: 10 },
    sockeye: { pid: 1, openFds: 20, maxFds: 1024, residentMemoryBytes: 5e7, uptimeSeconds: 60 },
    targets: [],
    checks: [],
    heartbeats: [],
    ...over,
  };
}

describe('judgeTarget', () => {
  it('is ok for a healthy target', () => {
    expect(judgeTarget(target())).toEqual({ severity: 'ok', reasons: [] });
  });

  it.each([
    ['no process', { processes: 0, pids: [] }, 'critical', 'no process running (expected at least 1)'],
    ['too few processes', { processes: 1, processesMin: 3 }, 'critical', '1 of at least 3 processes running'],
    ['too many processes', { processes: 4, processesMax: 2 }, 'warning', '4 processes running, expected at most 2'],
    ['unreadable', { readable: false }, 'warning', 'cannot read /proc of every process (permission or vanished): numbers are partial'],
    ['fds near the limit', { fdUsageRatio: 0.8 }, 'warning', 'file descriptors at 80% of the limit'],
    ['fds at the limit', { fdUsageRatio: 0.95 }, 'critical', 'file descriptors at 95% of the limit'],
    ['CLOSE_WAIT pile-up', { sockets: [{ protocol: 'tcp', state: 'close_wait', count: 7 }, { protocol: 'tcp6', state: 'close_wait', count: 5 }] }, 'warning', '12 sockets in CLOSE_WAIT (the peer closed, the app did not)'],
    ['accept queue filling', { listen: [{ port: 8080, queue: 110, backlog: 128 }] }, 'warning', 'accept queue on port 8080 at 110 of 128'],
    ['memory near the cgroup limit', { residentMemoryBytes: 950, memoryLimitBytes: 1000 }, 'warning', 'memory at 95% of the cgroup limit'],
  ] as const)('%s', (_what, over, severity, text) => {
    const judged = judgeTarget(target(over as Partial<TargetFacts>));
    expect(judged.severity).toBe(severity);
    expect(judged.reasons.map((r) => r.text)).toEqual([text]);
  });

  it('does not warn below the thresholds', () => {
    const judged = judgeTarget(
      target({
        fdUsageRatio: 0.74,
        sockets: [{ protocol: 'tcp', state: 'close_wait', count: 9 }],
        listen: [{ port: 80, queue: 10, backlog: 128 }],
        residentMemoryBytes: 899,
        memoryLimitBytes: 1000,
      }),
    );
    expect(judged).toEqual({ severity: 'ok', reasons: [] });
  });
});

describe('assembleStatus', () => {
  it('puts problems first, critical before warning, and sorts each list problems first', () => {
    const report = assembleStatus(
      input({
        targets: [target({ name: 'a-fine' }), target({ name: 'b-warn', readable: false }), target({ name: 'c-down', processes: 0, pids: [] })],
        checks: [check('alpha', 'passing'), check('beta', 'failing'), check('gamma', 'pending')],
        heartbeats: [heartbeat('backup', 'up', 10), heartbeat('nightly', 'late', 200), heartbeat('new-job', 'never', null), heartbeat('hourly', 'failed', 70)],
      }),
    );
    expect(statusReportSchema.parse(report)).toEqual(report);
    expect(report.severity).toBe('critical');
    expect(report.problems.map((p) => `${p.severity} ${p.kind} ${p.name}`)).toEqual([
      'critical check beta',
      'critical heartbeat hourly',
      'critical heartbeat nightly',
      'critical target c-down',
      'warning target b-warn',
    ]);
    expect(report.targets.map((t) => t.name)).toEqual(['c-down', 'b-warn', 'a-fine']);
    expect(report.checks.map((c) => `${c.name}:${c.severity}`)).toEqual(['beta:critical', 'gamma:unknown', 'alpha:ok']);
    expect(report.heartbeats.map((h) => `${h.name}:${h.severity}`)).toEqual(['hourly:critical', 'nightly:critical', 'new-job:unknown', 'backup:ok']);
    expect(report.problems[0]!.message).toBe('http check of GET http://127.0.0.1:1/health failing (refused: connect ECONNREFUSED 127.0.0.1:1)');
    expect(report.problems[1]!.message).toBe('the last run reported failure (exit status 3)');
    expect(report.problems[2]!.message).toBe('missed: last success 3m ago, expected every 1m + 30s grace');
  });

  it("puts sockeye's own trouble (a failed collection) first, as critical", () => {
    const report = assembleStatus(input({ sockeyeProblems: ['target collection failed: boom'], checks: [check('x', 'failing')] }));
    expect(report.problems.map((p) => `${p.severity} ${p.kind} ${p.message}`)).toEqual([
      'critical sockeye target collection failed: boom',
      'critical check http check of GET http://127.0.0.1:1/health failing (refused: connect ECONNREFUSED 127.0.0.1:1)',
    ]);
    expect(assembleStatus(input({ sockeyeProblems: ['x'] })).severity).toBe('critical');
  });

  it('reports a stalled or stopped scheduler as a critical problem, and one that has not ticked yet as unknown', () => {
    const stalled = assembleStatus(input({ scheduler: { running: true, lastTickMs: NOW - 45_000, staleAfterSeconds: 10 } }));
    expect(stalled.scheduler).toEqual({ severity: 'critical', running: true, lastTickAt: '2026-11-22T07:59:15.000Z', ageSeconds: 45, staleAfterSeconds: 10 });
    expect(stalled.problems).toEqual([{ severity: 'critical', kind: 'scheduler', name: 'scheduler', message: 'no scheduler tick for 45s: checks are not running' }]);
    expect(stalled.severity).toBe('critical');

    const stopped = assembleStatus(input({ scheduler: { running: false, lastTickMs: NOW - 1000, staleAfterSeconds: 10 } }));
    expect(stopped.problems.map((p) => p.message)).toEqual(['the scheduler is not running: checks are not running']);

    const fresh = assembleStatus(input({ scheduler: { running: true, lastTickMs: null, staleAfterSeconds: 10 } }));
    expect(fresh.scheduler.severity).toBe('unknown');
    expect(fresh.problems).toEqual([]);
    expect(fresh.severity).toBe('ok');
  });
});
