import { z } from 'zod';

// What sockeye keeps per heartbeat, and the pure rules that turn pings into
// state: no I/O here.

export const PING_KINDS = ['success', 'start', 'fail', 'log'] as const;
export type PingKind = (typeof PING_KINDS)[number];
/** never: no outcome yet; grace: past the expected time, within grace; late: past the deadline; failed: the last outcome was a failure. */
export const HEARTBEAT_STATES = ['never', 'up', 'grace', 'late', 'failed'] as const;
export type HeartbeatState = (typeof HEARTBEAT_STATES)[number];

/**
 * Body bytes kept per ping: healthchecks.io's limit. A longer body is
 * accepted and cut to its first PING_BODY_LIMIT bytes, as healthchecks does.
 */
export const PING_BODY_LIMIT = 100_000;
/** Pings kept per heartbeat, newest last (healthchecks shows a log of them too). */
export const RECENT_PINGS = 20;
/** Body bytes kept per heartbeat, on disk and in memory: older pings lose their body first. */
export const BODY_BYTES_PER_HEARTBEAT = 256 * 1024;
/** Runs started and not yet finished, per heartbeat; the oldest is forgotten beyond this. */
export const OPEN_RUNS = 16;

const ms = z.number().finite().nonnegative();
const count = z.number().int().nonnegative();

export const pingRecordSchema = z.object({
  seq: z.number().int().positive(),
  at: ms,
  kind: z.enum(PING_KINDS),
  exitStatus: z.number().int().min(0).max(255).optional(),
  rid: z.string().max(64).optional(),
  method: z.string().max(16),
  source: z.string().max(64),
  userAgent: z.string().max(256).optional(),
  /** start → this ping, for a success or failure that ended a run. */
  durationSeconds: z.number().nonnegative().optional(),
  /** The request body's size as sent; body is dropped (not this) when the heartbeat's body cap is reached. */
  bodyBytes: count,
  body: z.string().optional(),
  /** The request body was longer than PING_BODY_LIMIT: body holds only its first bytes. */
  bodyTruncated: z.boolean().optional(),
});
export type PingRecord = z.output<typeof pingRecordSchema>;

export const storedSchema = z.object({
  /** When sockeye first had this heartbeat: the clock of a never-pinged heartbeat starts here. */
  firstSeen: ms,
  lastPing: z.object({ success: ms.optional(), start: ms.optional(), fail: ms.optional(), log: ms.optional() }).default({}),
  counts: z.object({ success: count.default(0), start: count.default(0), fail: count.default(0), log: count.default(0) }).default({ success: 0, start: 0, fail: 0, log: 0 }),
  lastDurationSeconds: z.number().nonnegative().optional(),
  lastExitStatus: z.number().int().min(0).max(255).optional(),
  /** Open runs: a start (with its rid, if any) not yet followed by its success or failure. */
  runs: z.array(z.object({ rid: z.string().max(64).nullable(), at: ms })).max(OPEN_RUNS).default([]),
  /** Cron heartbeats: the next expected ping, computed at the last outcome, and the schedule it came from. */
  due: z.object({ schedule: z.string(), at: ms }).optional(),
  recent: z.array(pingRecordSchema).max(RECENT_PINGS).default([]),
});
export type Stored = z.output<typeof storedSchema>;

export function emptyStored(firstSeen: number): Stored {
  return { firstSeen, lastPing: {}, counts: { success: 0, start: 0, fail: 0, log: 0 }, runs: [], recent: [] };
}

/** The expectation a heartbeat is judged by (from its config). */
export interface Expectation {
  periodMs?: number;
  graceMs: number;
}

export interface Ping {
  at: number;
  kind: PingKind;
  exitStatus?: number;
  rid?: string;
  method: string;
  source: string;
  userAgent?: string;
  /** What is kept of the request body: at most its first PING_BODY_LIMIT bytes. */
  body?: Buffer;
  /** The request body's size as sent, when larger than body (it was cut). */
  bodyBytes?: number;
}

/** Last success or failure: what the expectation counts from. */
export function lastOutcome(s: Stored): number | undefined {
  const { success, fail } = s.lastPing;
  if (success === undefined) return fail;
  return fail === undefined ? success : Math.max(success, fail);
}

/** The latest start has not been answered by its success or failure. */
export function isRunning(s: Stored): boolean {
  const start = s.lastPing.start;
  return start !== undefined && s.runs.some((r) => r.at === start);
}

/** When the next ping is expected (before grace): period after the last outcome, or the stored cron time. */
export function expectedAt(e: Expectation, s: Stored): number | undefined {
  if (e.periodMs !== undefined) return (lastOutcome(s) ?? s.firstSeen) + e.periodMs;
  return s.due?.at;
}

/** Past this, the heartbeat is late. A run in progress must finish within grace of its start (as healthchecks does). */
export function deadlineAt(e: Expectation, s: Stored): number | undefined {
  const expected = expectedAt(e, s);
  let deadline = expected === undefined ? undefined : expected + e.graceMs;
  if (isRunning(s)) {
    const runEnd = s.lastPing.start! + e.graceMs;
    deadline = deadline === undefined ? runEnd : Math.min(deadline, runEnd);
  }
  return deadline;
}

export function heartbeatState(e: Expectation, s: Stored, now: number): HeartbeatState {
  const { success, fail } = s.lastPing;
  if (fail !== undefined && (success === undefined || fail >= success)) return 'failed';
  if (success === undefined) return 'never';
  const deadline = deadlineAt(e, s);
  if (deadline !== undefined && now > deadline) return 'late';
  const expected = expectedAt(e, s);
  if (expected !== undefined && now > expected) return 'grace';
  return 'up';
}

function utf8(body: Buffer): string {
  return new TextDecoder('utf-8', { fatal: false }).decode(body);
}

/**
 * Applies one ping to s (a draft: mutated). nextDue is the cron heartbeat's
 * next expected time, computed by the caller at the time of the ping.
 */
export function applyPing(s: Stored, p: Ping, nextDue?: { schedule: string; at: number }): PingRecord {
  s.counts[p.kind]++;
  s.lastPing[p.kind] = p.at;
  const seq = s.counts.success + s.counts.start + s.counts.fail + s.counts.log;
  const kept = p.body?.length ?? 0;
  const rec: PingRecord = { seq, at: p.at, kind: p.kind, method: p.method, source: p.source, bodyBytes: Math.max(kept, p.bodyBytes ?? 0) };
  if (p.exitStatus !== undefined) rec.exitStatus = p.exitStatus;
  if (p.rid !== undefined) rec.rid = p.rid;
  if (p.userAgent !== undefined) rec.userAgent = p.userAgent.slice(0, 256);
  if (p.body !== undefined && p.body.length > 0) {
    rec.body = utf8(p.body);
    if (rec.bodyBytes > kept) rec.bodyTruncated = true;
  }

  if (p.kind === 'start') {
    s.runs.push({ rid: p.rid ?? null, at: p.at });
    if (s.runs.length > OPEN_RUNS) s.runs.splice(0, s.runs.length - OPEN_RUNS);
  } else if (p.kind === 'success' || p.kind === 'fail') {
    // A run id pairs the end with its own start, so overlapping runs keep their durations apart.
    const rid = p.rid ?? null;
    let i = -1;
    for (let j = s.runs.length - 1; j >= 0; j--) {
      if (s.runs[j]!.rid === rid) {
        i = j;
        break;
      }
    }
    if (i >= 0) {
      const run = s.runs.splice(i, 1)[0]!;
      rec.durationSeconds = Math.max(0, p.at - run.at) / 1000;
      s.lastDurationSeconds = rec.durationSeconds;
    }
    if (p.exitStatus !== undefined) s.lastExitStatus = p.exitStatus;
    else delete s.lastExitStatus;
    if (nextDue) s.due = nextDue;
  }

  s.recent.push(rec);
  if (s.recent.length > RECENT_PINGS) s.recent.splice(0, s.recent.length - RECENT_PINGS);
  capBodies(s.recent);
  return rec;
}

/** Drops bodies, oldest first, until the kept ones fit BODY_BYTES_PER_HEARTBEAT. */
export function capBodies(recent: PingRecord[]): void {
  let total = 0;
  for (let i = recent.length - 1; i >= 0; i--) {
    const r = recent[i]!;
    if (r.body === undefined) continue;
    const size = Buffer.byteLength(r.body);
    if (total + size > BODY_BYTES_PER_HEARTBEAT) delete r.body;
    else total += size;
  }
}
