import type { CheckStatus as CheckerCheck } from '../checks/index.js';
import type { HeartbeatStatus as StoredHeartbeat } from '../heartbeats/index.js';
import type { CheckFacts, HeartbeatFacts } from './assemble.js';

// Maps what the checker and the heartbeats expose to the status report's
// facts: the only place that knows both shapes.

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
    recent: c.history.map((r) => ({ at: new Date(r.at).toISOString(), ok: r.success, durationSeconds: r.durationSeconds })),
  };
}

export function heartbeatFacts(h: StoredHeartbeat, nowMs: number): HeartbeatFacts {
  const success = h.lastPing.success;
  return {
    name: h.name,
    state: h.state,
    running: h.running,
    periodSeconds: h.periodSeconds,
    graceSeconds: h.graceSeconds,
    lastSuccessAt: iso(success),
    lastFailAt: iso(h.lastPing.fail),
    lastStartAt: iso(h.lastPing.start),
    lastDurationSeconds: h.lastDurationSeconds,
    lastExitStatus: h.lastExitStatus,
    ageSeconds: success === null ? null : Math.max(0, (nowMs - success) / 1000),
  };
}
