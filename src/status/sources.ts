import type { CheckStatus as CheckerCheck } from '../checks/index.js';
import type { TargetSnapshot } from '../collectors/index.js';
import type { HeartbeatStatus as StoredHeartbeat, PingRecord } from '../heartbeats/index.js';
import type { CheckFacts, HeartbeatFacts, TargetFacts } from './assemble.js';
import { BODY_PREVIEW_CHARS, type HeartbeatPing } from './schema.js';

// Maps what the collectors, the checker and the heartbeats expose to the status report's
// facts: the only place that knows their shapes.

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function checkFacts(c: CheckerCheck): CheckFacts {
  return {
    name: c.name,
    type: c.type,
    target: c.target,
    state: c.lastResult === 'success' ? 'passing' : c.lastResult === 'failure' ? 'failing' : 'pending',
    reason: c.lastResult === 'failure' ? c.reason : null,
    message: c.lastResult === 'failure' ? c.message : null,
    lastRunAt: iso(c.lastRunAt),
    lastSuccessAt: iso(c.lastSuccessAt),
    latencySeconds: c.lastDurationSeconds,
    intervalSeconds: c.intervalSeconds,
    timeoutSeconds: c.timeoutSeconds,
    running: c.running,
    certExpiresAt: iso(c.certExpiresAt),
    phases: c.phases,
    answerRecords: c.answerRecords,
    recent: c.history.map((r) => ({ at: new Date(r.at).toISOString(), ok: r.success, durationSeconds: r.durationSeconds })),
  };
}

/** The report refreshes every few seconds: the newest pings only; the API route has them all. */
export const PINGS_IN_REPORT = 5;

/**
 * A stored ping as the report shows it; the body cut to its last
 * BODY_PREVIEW_CHARS (where a job's error is). bodyTruncated: the body shown
 * is not all that was sent (cut here, or to its first PING_BODY_LIMIT bytes
 * when it came).
 */
export function pingFacts(p: PingRecord, previewChars = BODY_PREVIEW_CHARS): HeartbeatPing {
  const body = p.body ?? null;
  const preview = body !== null && body.length > previewChars;
  return {
    seq: p.seq,
    at: new Date(p.at).toISOString(),
    kind: p.kind,
    exitStatus: p.exitStatus ?? null,
    rid: p.rid ?? null,
    method: p.method,
    source: p.source,
    durationSeconds: p.durationSeconds ?? null,
    bodyBytes: p.bodyBytes,
    body: preview ? body.slice(body.length - previewChars) : body,
    bodyTruncated: preview || (body !== null && p.bodyTruncated === true),
  };
}

export function heartbeatFacts(h: StoredHeartbeat, nowMs: number): HeartbeatFacts {
  const success = h.lastPing.success;
  return {
    name: h.name,
    state: h.state,
    running: h.running,
    periodSeconds: h.periodSeconds,
    schedule: h.schedule,
    timezone: h.timezone,
    graceSeconds: h.graceSeconds,
    expectedAt: iso(h.expectedAt),
    deadlineAt: iso(h.deadlineAt),
    lastSuccessAt: iso(success),
    lastFailAt: iso(h.lastPing.fail),
    lastStartAt: iso(h.lastPing.start),
    lastDurationSeconds: h.lastDurationSeconds,
    lastExitStatus: h.lastExitStatus,
    ageSeconds: success === null ? null : Math.max(0, (nowMs - success) / 1000),
    recentPings: h.recent.slice(0, PINGS_IN_REPORT).map((p) => pingFacts(p)),
  };
}

const byCount = (a: { count: number; name: string }, b: { count: number; name: string }) => b.count - a.count || a.name.localeCompare(b.name);

/** A target as the status page and `sockeye inspect` summarise it. */
export function targetFacts(t: TargetSnapshot): TargetFacts {
  const u = t.total;
  const starts = t.processes.map((p) => p.startTimeSeconds).filter((s): s is number => s !== null);
  return {
    name: t.name,
    pids: t.processes.map((p) => p.pid),
    processes: t.processes.length,
    processesMin: t.processesMin,
    processesMax: t.processesMax,
    readable: t.readable,
    openFds: u.openFds,
    maxFds: u.maxFds,
    fdUsageRatio: u.fdUsageRatio,
    fdsByType: Object.entries(u.fds ?? {})
      .filter(([, n]) => n > 0)
      .map(([name, count]) => ({ name, count }))
      .sort(byCount),
    sockets: [...u.sockets].sort((a, b) => b.count - a.count || a.protocol.localeCompare(b.protocol) || a.state.localeCompare(b.state)),
    topPaths: u.paths.map((p) => ({ name: p.path, count: p.count })),
    topPeers: u.peers.map((p) => ({
      peer: p.peer,
      count: p.count,
      states: Object.entries(p.states)
        .map(([name, count]) => ({ name, count }))
        .sort(byCount),
    })),
    listen: u.listen.map((l) => ({ port: l.port, queue: l.queue, backlog: l.backlog })),
    closeWaitOldestSeconds: t.socketAges.find((a) => a.state === 'close_wait')?.oldestSeconds ?? null,
    residentMemoryBytes: u.residentBytes,
    memoryLimitBytes: u.memoryLimitBytes,
    threads: u.threads,
    startedAt: starts.length ? new Date(Math.min(...starts) * 1000).toISOString() : null,
  };
}
