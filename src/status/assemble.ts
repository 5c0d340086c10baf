import { formatDuration } from '../config/duration.js';
import type { CheckStatus, HeartbeatStatus, Problem, Severity, StatusReport, TargetStatus } from './schema.js';

// Pure: turns what the collectors and the checker know into the report the
// page and /api/status show, judging each item and putting problems first.

export type TargetFacts = Omit<TargetStatus, 'severity' | 'reasons'>;
export type CheckFacts = Omit<CheckStatus, 'severity'>;
export type HeartbeatFacts = Omit<HeartbeatStatus, 'severity'>;

export interface StatusInput {
  nowMs: number;
  version: string;
  startedAtMs: number;
  scheduler: { running: boolean; lastTickMs: number | null; staleAfterSeconds: number };
  sockeye: StatusReport['sockeye'];
  targets: TargetFacts[];
  checks: CheckFacts[];
  heartbeats: HeartbeatFacts[];
  /** sockeye's own trouble found while gathering (a failed collection). */
  sockeyeProblems?: string[];
}

// Thresholds a person would want to hear about before the alerts fire.
export const THRESHOLDS = {
  fdWarningRatio: 0.75,
  fdCriticalRatio: 0.9,
  closeWaitWarning: 10,
  listenQueueWarningRatio: 0.8,
  memoryWarningRatio: 0.9,
} as const;

const RANK: Record<Severity, number> = { critical: 0, warning: 1, unknown: 2, ok: 3 };

export function worst(severities: Iterable<Severity>): Severity {
  let out: Severity = 'ok';
  for (const s of severities) if (RANK[s] < RANK[out]) out = s;
  return out;
}

/** Problems first, then by name: the order every list on the page uses. */
export function byProblemsFirst<T extends { severity: Severity; name: string }>(a: T, b: T): number {
  return RANK[a.severity] - RANK[b.severity] || a.name.localeCompare(b.name);
}

const pct = (ratio: number) => `${Math.round(ratio * 100)}%`;

export function judgeTarget(t: TargetFacts): { severity: Severity; reasons: { severity: 'critical' | 'warning'; text: string }[] } {
  const reasons: { severity: 'critical' | 'warning'; text: string }[] = [];
  if (t.processes < t.processesMin) {
    reasons.push({ severity: 'critical', text: t.processes === 0 ? `no process running (expected at least ${t.processesMin})` : `${t.processes} of at least ${t.processesMin} processes running` });
  }
  if (t.processesMax !== null && t.processes > t.processesMax) {
    reasons.push({ severity: 'warning', text: `${t.processes} processes running, expected at most ${t.processesMax}` });
  }
  if (!t.readable) reasons.push({ severity: 'warning', text: 'cannot read /proc of every process (permission or vanished): numbers are partial' });
  if (t.fdUsageRatio !== null && t.fdUsageRatio >= THRESHOLDS.fdWarningRatio) {
    reasons.push({
      severity: t.fdUsageRatio >= THRESHOLDS.fdCriticalRatio ? 'critical' : 'warning',
      text: `file descriptors at ${pct(t.fdUsageRatio)} of the limit`,
    });
  }
  const closeWait = t.sockets.filter((s) => s.state === 'close_wait').reduce((n, s) => n + s.count, 0);
  if (closeWait >= THRESHOLDS.closeWaitWarning) reasons.push({ severity: 'warning', text: `${closeWait} sockets in CLOSE_WAIT (the peer closed, the app did not)` });
  for (const l of t.listen) {
    if (l.backlog !== null && l.backlog > 0 && l.queue >= l.backlog * THRESHOLDS.listenQueueWarningRatio) {
      reasons.push({ severity: 'warning', text: `accept queue on port ${l.port} at ${l.queue} of ${l.backlog}` });
    }
  }
  if (t.memoryLimitBytes && t.residentMemoryBytes !== null && t.residentMemoryBytes >= t.memoryLimitBytes * THRESHOLDS.memoryWarningRatio) {
    reasons.push({ severity: 'warning', text: `memory at ${pct(t.residentMemoryBytes / t.memoryLimitBytes)} of the cgroup limit` });
  }
  return { severity: worst(reasons.map((r) => r.severity)), reasons };
}

export function judgeCheck(c: CheckFacts): Severity {
  return c.state === 'failing' ? 'critical' : c.state === 'pending' ? 'unknown' : 'ok';
}

export function judgeHeartbeat(h: HeartbeatFacts): Severity {
  switch (h.state) {
    case 'late':
    case 'failed':
      return 'critical';
    case 'grace':
      return 'warning';
    case 'never':
      return 'unknown';
    default:
      return 'ok';
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

export function formatAge(seconds: number): string {
  if (seconds < 90) return `${Math.round(seconds)}s`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)}m`;
  if (seconds < 36 * 3600) return `${Math.round(seconds / 360) / 10}h`;
  return `${Math.round(seconds / 8640) / 10}d`;
}

export function assembleStatus(input: StatusInput): StatusReport {
  const problems: Problem[] = [];

  const sched = input.scheduler;
  const schedulerAge = sched.lastTickMs === null ? null : Math.max(0, (input.nowMs - sched.lastTickMs) / 1000);
  let schedulerSeverity: Severity = 'ok';
  if (!sched.running) {
    schedulerSeverity = 'critical';
    problems.push({ severity: 'critical', kind: 'scheduler', name: 'scheduler', message: 'the scheduler is not running: checks are not running' });
  } else if (schedulerAge === null) {
    schedulerSeverity = 'unknown';
  } else if (schedulerAge > sched.staleAfterSeconds) {
    schedulerSeverity = 'critical';
    problems.push({ severity: 'critical', kind: 'scheduler', name: 'scheduler', message: `no scheduler tick for ${formatAge(schedulerAge)}: checks are not running` });
  }

  for (const message of input.sockeyeProblems ?? []) problems.push({ severity: 'critical', kind: 'sockeye', name: 'sockeye', message });

  const targets: TargetStatus[] = input.targets.map((t) => {
    const { severity, reasons } = judgeTarget(t);
    for (const r of reasons) problems.push({ severity: r.severity, kind: 'target', name: t.name, message: r.text });
    return { ...t, severity, reasons: reasons.map((r) => r.text) };
  });

  const checks: CheckStatus[] = input.checks.map((c) => {
    const severity = judgeCheck(c);
    if (severity === 'critical') {
      const why = [c.reason, c.message].filter(Boolean).join(': ') || 'failed';
      problems.push({ severity, kind: 'check', name: c.name, message: `${c.type} check of ${c.target} failing (${why})` });
    }
    return { ...c, severity };
  });

  const heartbeats: HeartbeatStatus[] = input.heartbeats.map((h) => {
    const severity = judgeHeartbeat(h);
    if (severity === 'critical' || severity === 'warning') {
      const age = h.ageSeconds === null ? ' never' : ` ${formatAge(h.ageSeconds)} ago`;
      const every = h.periodSeconds !== null ? `every ${formatDuration(h.periodSeconds * 1000)}` : `on "${h.schedule}" (${h.timezone})`;
      const expect = `expected ${every} + ${formatDuration(h.graceSeconds * 1000)} grace`;
      const exit = h.lastExitStatus !== null && h.lastExitStatus !== 0 ? ` (exit status ${h.lastExitStatus})` : '';
      const message =
        h.state === 'failed' ? `the last run reported failure${exit}` : h.state === 'grace' ? `overdue, within grace: last success${age}, ${expect}` : `missed: last success${age}, ${expect}`;
      problems.push({ severity, kind: 'heartbeat', name: h.name, message });
    }
    return { ...h, severity };
  });

  const kindOrder = ['scheduler', 'sockeye', 'check', 'heartbeat', 'target'];
  problems.sort(
    (a, b) =>
      RANK[a.severity] - RANK[b.severity] || kindOrder.indexOf(a.kind) - kindOrder.indexOf(b.kind) || a.name.localeCompare(b.name),
  );

  return {
    version: input.version,
    generatedAt: iso(input.nowMs),
    startedAt: iso(input.startedAtMs),
    // Unknown (nothing run yet) does not colour the whole page.
    severity: worst([schedulerSeverity, ...(input.sockeyeProblems?.length ? ['critical' as const] : []), ...targets.map((t) => t.severity), ...checks.map((c) => c.severity), ...heartbeats.map((h) => h.severity)].filter((s) => s !== 'unknown')),
    problems,
    scheduler: {
      severity: schedulerSeverity,
      running: sched.running,
      lastTickAt: sched.lastTickMs === null ? null : iso(sched.lastTickMs),
      ageSeconds: schedulerAge,
      staleAfterSeconds: sched.staleAfterSeconds,
    },
    sockeye: input.sockeye,
    targets: targets.sort(byProblemsFirst),
    checks: checks.sort(byProblemsFirst),
    heartbeats: heartbeats.sort(byProblemsFirst),
  };
}
