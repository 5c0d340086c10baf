import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import type { HeartbeatConfig } from '../config/heartbeats.js';
import type { Config } from '../config/schema.js';
import { tokenMatches } from '../routes/token.js';
import { StateFile } from './state-file.js';

export const PING_KINDS = ['success', 'start', 'fail'] as const;
export type PingKind = (typeof PING_KINDS)[number];
export type HeartbeatState = 'up' | 'late' | 'failed' | 'never';

export const STATE_FILE_NAME = 'heartbeats.json';

const stored = z.object({
  lastPing: z.object({ success: z.number().optional(), start: z.number().optional(), fail: z.number().optional() }).default({}),
  counts: z.object({ success: z.number().int().nonnegative().default(0), start: z.number().int().nonnegative().default(0), fail: z.number().int().nonnegative().default(0) }).default({ success: 0, start: 0, fail: 0 }),
  lastDurationSeconds: z.number().optional(),
  lastExitStatus: z.number().int().optional(),
});
const stateFileSchema = z.object({ version: z.literal(1), heartbeats: z.record(z.string(), stored) });
type Stored = z.output<typeof stored>;

export interface HeartbeatStatus {
  name: string;
  periodSeconds: number;
  graceSeconds: number;
  /** Unix ms of the last ping of each kind, null when never. */
  lastPing: Record<PingKind, number | null>;
  pings: Record<PingKind, number>;
  lastDurationSeconds: number | null;
  lastExitStatus: number | null;
  /** A start newer than the last success/fail: the job is running now. */
  running: boolean;
  state: HeartbeatState;
}

export type Authorization = 'ok' | 'unknown' | 'unauthorized';

export interface Heartbeats {
  /** Whether a ping for name with this token (if any) may be recorded. */
  authorize(name: string, token: string | undefined): Authorization;
  /** Records a ping; resolves once it is durable on disk (then, and only then, acknowledge it). */
  ping(name: string, kind: PingKind, exitStatus?: number): Promise<void>;
  /** For the status page and /api/status; holds no tokens. */
  status(nowMs?: number): HeartbeatStatus[];
  close(): Promise<void>;
}

/** up, late (no success within period + grace), failed (last outcome a failure), never. */
export function heartbeatState(s: Pick<Stored, 'lastPing'>, periodMs: number, graceMs: number, now: number): HeartbeatState {
  const { success, fail } = s.lastPing;
  if (success === undefined && fail === undefined) return 'never';
  if (fail !== undefined && (success === undefined || fail >= success)) return 'failed';
  if (success === undefined || now - success > periodMs + graceMs) return 'late';
  return 'up';
}

export async function createHeartbeats(config: Config, registry: Registry, log: FastifyBaseLogger): Promise<Heartbeats> {
  const configs = new Map<string, HeartbeatConfig>(config.heartbeats.map((h) => [h.name, h]));
  const tokens = new Map(config.heartbeats.filter((h) => h.token !== undefined).map((h) => [h.name, h.token!]));
  const state = new Map<string, Stored>();
  const file = new StateFile(join(config.stateDir, STATE_FILE_NAME), () => ({ version: 1, heartbeats: Object.fromEntries(state) }), log);

  // Without heartbeats configured, sockeye never touches the disk.
  if (configs.size > 0) {
    const loaded = await file.load((raw) => stateFileSchema.parse(raw));
    let dropped = false;
    for (const [name, s] of Object.entries(loaded?.heartbeats ?? {})) {
      // Heartbeats removed from the config are dropped from the state.
      if (configs.has(name)) state.set(name, s);
      else dropped = true;
    }
    if (dropped) await file.save().catch((err: Error) => log.warn({ error: err.message }, 'could not rewrite heartbeat state'));
  }

  const registers = [registry];
  const lastPing = new Gauge({ name: 'sockeye_heartbeat_last_ping_timestamp_seconds', help: 'Unix time of the last ping of the heartbeat by kind (success, start, fail).', labelNames: ['heartbeat', 'kind'], registers });
  const period = new Gauge({ name: 'sockeye_heartbeat_period_seconds', help: 'Configured period within which the heartbeat is expected to report success.', labelNames: ['heartbeat'], registers });
  const grace = new Gauge({ name: 'sockeye_heartbeat_grace_seconds', help: 'Configured grace time after the period before the heartbeat counts as missed.', labelNames: ['heartbeat'], registers });
  const pings = new Counter({ name: 'sockeye_heartbeat_pings_total', help: 'Pings received by the heartbeat by kind, kept across restarts.', labelNames: ['heartbeat', 'kind'], registers });
  const lastDuration = new Gauge({ name: 'sockeye_heartbeat_last_duration_seconds', help: 'Time from the last start ping to the success ping that followed it, in seconds.', labelNames: ['heartbeat'], registers });

  const export_ = (name: string, s: Stored) => {
    for (const kind of PING_KINDS) {
      const t = s.lastPing[kind];
      if (t !== undefined) lastPing.set({ heartbeat: name, kind }, t / 1000);
    }
    if (s.lastDurationSeconds !== undefined) lastDuration.set({ heartbeat: name }, s.lastDurationSeconds);
  };
  for (const h of configs.values()) {
    period.set({ heartbeat: h.name }, h.period / 1000);
    grace.set({ heartbeat: h.name }, h.grace / 1000);
    const s = state.get(h.name);
    for (const kind of PING_KINDS) pings.inc({ heartbeat: h.name, kind }, s?.counts[kind] ?? 0);
    if (s) export_(h.name, s);
  }

  return {
    authorize(name, token) {
      if (!configs.has(name)) return 'unknown';
      const want = tokens.get(name);
      if (!want) return 'ok';
      return tokenMatches(token, want) ? 'ok' : 'unauthorized';
    },

    async ping(name, kind, exitStatus) {
      if (!configs.has(name)) throw new Error(`unknown heartbeat ${name}`);
      const now = Date.now();
      const s = state.get(name) ?? { lastPing: {}, counts: { success: 0, start: 0, fail: 0 } };
      // A duration only for a run that started after the previous outcome (no stale start).
      const started = s.lastPing.start;
      const openRun = started !== undefined && started > Math.max(s.lastPing.success ?? -Infinity, s.lastPing.fail ?? -Infinity);
      s.lastPing[kind] = now;
      s.counts[kind]++;
      if (exitStatus !== undefined) s.lastExitStatus = exitStatus;
      if (kind === 'success' && openRun) s.lastDurationSeconds = (now - started) / 1000;
      state.set(name, s);
      await file.save();
      // Metrics follow the durable state: nothing is shown that a crash could take back.
      pings.inc({ heartbeat: name, kind });
      export_(name, s);
    },

    status(now = Date.now()) {
      return [...configs.values()].map((h) => {
        const s = state.get(h.name) ?? { lastPing: {}, counts: { success: 0, start: 0, fail: 0 } };
        const lastFinish = Math.max(s.lastPing.success ?? -Infinity, s.lastPing.fail ?? -Infinity);
        return {
          name: h.name,
          periodSeconds: h.period / 1000,
          graceSeconds: h.grace / 1000,
          lastPing: { success: s.lastPing.success ?? null, start: s.lastPing.start ?? null, fail: s.lastPing.fail ?? null },
          pings: { ...s.counts },
          lastDurationSeconds: s.lastDurationSeconds ?? null,
          lastExitStatus: s.lastExitStatus ?? null,
          running: s.lastPing.start !== undefined && s.lastPing.start > lastFinish,
          state: heartbeatState(s, h.period, h.grace, now),
        };
      });
    },

    async close() {
      // A save in flight finishes, so no acknowledged ping is cut short.
      await file.idle();
    },
  };
}
