import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import { z } from 'zod';
import type { HeartbeatConfig } from '../config/heartbeats.js';
import type { Config } from '../config/schema.js';
import { tokenMatches } from '../routes/token.js';
import {
  applyPing,
  deadlineAt,
  emptyStored,
  expectedAt,
  HEARTBEAT_STATES,
  heartbeatState,
  isRunning,
  PING_KINDS,
  storedSchema,
  type HeartbeatState,
  type Ping,
  type PingKind,
  type PingRecord,
  type Stored,
} from './record.js';
import { CronSchedule } from './schedule.js';
import { removeDurably, removeTempFiles } from '../durable-files.js';
import { readStateFile, setAside, StateFile, StateReadError } from './state-file.js';

export { PING_KINDS, HEARTBEAT_STATES, StateReadError, type PingKind, type HeartbeatState, type PingRecord };

/** One file per heartbeat under <stateDir>/heartbeats/: a bad one costs that heartbeat alone. */
export const STATE_DIR_NAME = 'heartbeats';
/** The single state file of earlier versions, read once and migrated. */
export const LEGACY_STATE_FILE_NAME = 'heartbeats.json';

const fileSchema = z.object({ version: z.literal(1), name: z.string(), state: storedSchema });
type StateFileShape = z.output<typeof fileSchema>;
// Earlier versions had no firstSeen, runs, due or recent.
const legacyEntry = storedSchema.extend({ firstSeen: z.number().optional() });
const legacyFile = z.object({ version: z.literal(1), heartbeats: z.record(z.string(), z.unknown()) });

export interface HeartbeatStatus {
  name: string;
  /** Period heartbeats: the period; null for cron heartbeats. */
  periodSeconds: number | null;
  schedule: string | null;
  timezone: string | null;
  graceSeconds: number;
  /** Unix ms of the last ping of each kind, null when never. */
  lastPing: Record<PingKind, number | null>;
  pings: Record<PingKind, number>;
  lastDurationSeconds: number | null;
  lastExitStatus: number | null;
  /** The latest start has not been answered yet: the job is running now. */
  running: boolean;
  state: HeartbeatState;
  /** Unix ms: when the next ping is expected, and when it is late without one. */
  expectedAt: number | null;
  deadlineAt: number | null;
  /** The last pings, newest first, with their bodies. */
  recent: PingRecord[];
}

/** How a ping URL names its heartbeat. */
export type PingTarget = { by: 'name'; name: string } | { by: 'uuid'; uuid: string } | { by: 'slug'; key: string; slug: string };
export type Resolution = { name: string } | 'unknown' | 'unauthorized';

export interface Heartbeats {
  /** Whether the URL's pingKey is the configured one (then its next segment is a slug). */
  isPingKey(segment: string): boolean;
  /** The heartbeat a ping URL names, if the request may ping it. UUID and ping-key URLs carry their own secret. */
  resolve(target: PingTarget, token: string | undefined): Resolution;
  /** Records a ping; resolves once it is durable on disk (then, and only then, acknowledge it). A rejected ping is not stored. */
  ping(name: string, ping: Omit<Ping, 'at'>): Promise<PingRecord>;
  /** For the status page and /api/status; holds no tokens. */
  status(nowMs?: number): HeartbeatStatus[];
  /** The last pings of one heartbeat, newest first; undefined for an unknown heartbeat. */
  recent(name: string): PingRecord[] | undefined;
  /** Takes a new heartbeat list (config reload): kept heartbeats keep their state. */
  reconfigure(heartbeats: HeartbeatConfig[], pingKey?: string): Promise<void>;
  close(): Promise<void>;
}

interface Entry {
  config: HeartbeatConfig;
  cron: CronSchedule | undefined;
  file: StateFile<StateFileShape>;
}

const expectation = (h: HeartbeatConfig) => ({ periodMs: h.period, graceMs: h.grace });

export async function createHeartbeats(config: Config, registry: Registry, log: FastifyBaseLogger): Promise<Heartbeats> {
  const root = join(config.stateDir, STATE_DIR_NAME);
  const entries = new Map<string, Entry>();
  let pingKey = config.pingKey;
  let legacy: Map<string, Stored> | undefined;
  // Set when a migrated entry could not be written: the old file is kept for the next start.
  let keepLegacy = false;

  const registers = [registry];
  const lastPing = new Gauge({ name: 'sockeye_heartbeat_last_ping_timestamp_seconds', help: 'Unix time of the last ping of the heartbeat by kind (success, start, fail, log).', labelNames: ['heartbeat', 'kind'], registers });
  const period = new Gauge({ name: 'sockeye_heartbeat_period_seconds', help: 'Configured period within which a period heartbeat is expected to report (absent for cron heartbeats).', labelNames: ['heartbeat'], registers });
  const grace = new Gauge({ name: 'sockeye_heartbeat_grace_seconds', help: 'Configured grace time after the expected ping before the heartbeat counts as missed.', labelNames: ['heartbeat'], registers });
  const pings = new Counter({ name: 'sockeye_heartbeat_pings_total', help: 'Pings stored for the heartbeat by kind, kept across restarts.', labelNames: ['heartbeat', 'kind'], registers });
  const lastDuration = new Gauge({ name: 'sockeye_heartbeat_last_duration_seconds', help: 'Time from a start ping to the success or failure ping that ended the same run, for the last run, in seconds.', labelNames: ['heartbeat'], registers });
  const deadline = new Gauge({ name: 'sockeye_heartbeat_deadline_timestamp_seconds', help: 'Unix time after which the heartbeat is late without a ping: the next expected ping (period or schedule) plus grace, earlier while a started run has not finished.', labelNames: ['heartbeat'], registers });
  const running = new Gauge({ name: 'sockeye_heartbeat_running', help: '1 while the latest start ping of the heartbeat has not been followed by the success or failure of its run.', labelNames: ['heartbeat'], registers });
  new Gauge({
    name: 'sockeye_heartbeat_status',
    help: 'Heartbeat state, 1 for the current one: never (no outcome yet), up, grace (past the expected time, within grace), late (past the deadline), failed (the last outcome was a failure).',
    labelNames: ['heartbeat', 'state'],
    registers,
    collect() {
      const now = Date.now();
      this.reset();
      for (const [name, e] of entries) {
        const current = heartbeatState(expectation(e.config), e.file.value.state, now);
        for (const state of HEARTBEAT_STATES) this.set({ heartbeat: name, state }, state === current ? 1 : 0);
      }
    },
  });

  const exportState = (name: string, e: Entry) => {
    const s = e.file.value.state;
    for (const kind of PING_KINDS) {
      const t = s.lastPing[kind];
      if (t !== undefined) lastPing.set({ heartbeat: name, kind }, t / 1000);
    }
    if (s.lastDurationSeconds !== undefined) lastDuration.set({ heartbeat: name }, s.lastDurationSeconds);
    const d = deadlineAt(expectation(e.config), s);
    if (d !== undefined) deadline.set({ heartbeat: name }, d / 1000);
    running.set({ heartbeat: name }, isRunning(s) ? 1 : 0);
  };
  const unexport = (name: string) => {
    for (const kind of PING_KINDS) {
      lastPing.remove({ heartbeat: name, kind });
      pings.remove({ heartbeat: name, kind });
    }
    for (const g of [period, grace, lastDuration, deadline, running]) g.remove({ heartbeat: name });
  };

  /** The stored state of h, or fresh state; never throws on invalid content, throws StateReadError on an unreadable file. */
  const loadOne = async (h: HeartbeatConfig, now: number): Promise<{ state: Stored; dirty: boolean }> => {
    const path = join(root, `${h.name}.json`);
    const raw = await readStateFile(path, log, { heartbeat: h.name });
    if (raw !== undefined) {
      const parsed = fileSchema.safeParse(raw);
      if (parsed.success && parsed.data.name === h.name) return { state: parsed.data.state, dirty: false };
      const reason = parsed.success ? `holds heartbeat ${JSON.stringify(parsed.data.name)}` : z.prettifyError(parsed.error).replace(/\s+/g, ' ');
      await setAside(path, log, { heartbeat: h.name }, reason);
    }
    const migrated = legacy?.get(h.name);
    return { state: migrated ?? emptyStored(now), dirty: true };
  };

  const add = async (h: HeartbeatConfig, now: number): Promise<Entry> => {
    const { state, dirty } = await loadOne(h, now);
    const cron = h.schedule !== undefined ? new CronSchedule(h.schedule, h.timezone!) : undefined;
    let changed = dirty;
    if (cron && state.due?.schedule !== cron.key) {
      // New, or its schedule changed: expected from now on.
      state.due = { schedule: cron.key, at: cron.nextAfterNow() };
      changed = true;
    } else if (!cron && state.due !== undefined) {
      delete state.due;
      changed = true;
    }
    const e: Entry = { config: h, cron, file: new StateFile(join(root, `${h.name}.json`), { version: 1, name: h.name, state }) };
    // Persists firstSeen, so a never-pinged heartbeat's clock survives restarts; a failure here is not a lost ping.
    if (changed) {
      await e.file.commit(() => undefined).catch((err: Error) => {
        if (legacy?.has(h.name)) keepLegacy = true;
        log.warn({ heartbeat: h.name, error: err.message }, 'could not write heartbeat state');
      });
    }
    return e;
  };

  const install = (h: HeartbeatConfig, e: Entry) => {
    entries.set(h.name, e);
    if (h.period !== undefined) period.set({ heartbeat: h.name }, h.period / 1000);
    else period.remove({ heartbeat: h.name });
    grace.set({ heartbeat: h.name }, h.grace / 1000);
    exportState(h.name, e);
  };

  /** Files of heartbeats no longer configured are removed, as their series are. */
  const removeUnconfigured = async () => {
    let names: string[];
    try {
      names = await readdir(root);
    } catch {
      return;
    }
    for (const file of names) {
      const m = /^(.+)\.json$/.exec(file);
      if (m && !entries.has(m[1]!)) await removeDurably(join(root, file)).catch((err: Error) => log.warn({ file, error: err.message }, 'could not remove state of a dropped heartbeat'));
    }
  };

  // Without heartbeats configured, sockeye never touches the disk.
  if (config.heartbeats.length > 0) {
    await removeTempFiles(root);
    await removeTempFiles(config.stateDir);
    legacy = await readLegacy(join(config.stateDir, LEGACY_STATE_FILE_NAME), log);
    const now = Date.now();
    for (const h of config.heartbeats) {
      const e = await add(h, now);
      install(h, e);
      for (const kind of PING_KINDS) pings.inc({ heartbeat: h.name, kind }, e.file.value.state.counts[kind]);
    }
    if (legacy && !keepLegacy) {
      // Every migrated entry is in its own file now.
      await removeDurably(join(config.stateDir, LEGACY_STATE_FILE_NAME)).catch((err: Error) => log.warn({ error: err.message }, 'could not remove the migrated heartbeat state file'));
      legacy = undefined;
    }
    await removeUnconfigured();
  }

  const byUuid = () => new Map([...entries.values()].filter((e) => e.config.uuid !== undefined).map((e) => [e.config.uuid!, e.config.name]));
  const bySlug = () => new Map([...entries.values()].map((e) => [e.config.slug, e.config.name]));
  let uuids = byUuid();
  let slugs = bySlug();

  const statusOf = (e: Entry, now: number): HeartbeatStatus => {
    const h = e.config;
    const s = e.file.value.state;
    const ex = expectation(h);
    const nul = (v: number | undefined) => v ?? null;
    return {
      name: h.name,
      periodSeconds: h.period !== undefined ? h.period / 1000 : null,
      schedule: h.schedule ?? null,
      timezone: h.timezone ?? null,
      graceSeconds: h.grace / 1000,
      lastPing: { success: nul(s.lastPing.success), start: nul(s.lastPing.start), fail: nul(s.lastPing.fail), log: nul(s.lastPing.log) },
      pings: { ...s.counts },
      lastDurationSeconds: nul(s.lastDurationSeconds),
      lastExitStatus: nul(s.lastExitStatus),
      running: isRunning(s),
      state: heartbeatState(ex, s, now),
      expectedAt: nul(expectedAt(ex, s)),
      deadlineAt: nul(deadlineAt(ex, s)),
      recent: [...s.recent].reverse(),
    };
  };

  return {
    isPingKey(segment) {
      return pingKey !== undefined && tokenMatches(segment, pingKey);
    },

    resolve(target, token) {
      if (target.by === 'uuid') {
        const name = uuids.get(target.uuid.toLowerCase());
        if (name !== undefined) return { name };
        // A heartbeat may be named like a UUID without declaring one.
        target = { by: 'name', name: target.uuid };
      }
      if (target.by === 'slug') {
        if (pingKey === undefined || !tokenMatches(target.key, pingKey)) return 'unknown';
        const name = slugs.get(target.slug);
        return name === undefined ? 'unknown' : { name };
      }
      const e = entries.get(target.name);
      if (!e) return 'unknown';
      if (e.config.token === undefined) return { name: target.name };
      return tokenMatches(token, e.config.token) ? { name: target.name } : 'unauthorized';
    },

    async ping(name, p) {
      const e = entries.get(name);
      if (!e) throw new Error(`unknown heartbeat ${name}`);
      const at = Date.now();
      const ends = p.kind === 'success' || p.kind === 'fail';
      const nextDue = e.cron && ends ? { schedule: e.cron.key, at: e.cron.nextAfterNow() } : undefined;
      let rec: PingRecord | undefined;
      await e.file.commit((draft) => {
        rec = applyPing(draft.state, { ...p, at }, nextDue);
      });
      // Metrics follow the durable state: nothing is shown that a failed write or a crash could take back.
      pings.inc({ heartbeat: name, kind: p.kind });
      exportState(name, e);
      return rec!;
    },

    status(now = Date.now()) {
      return [...entries.values()].map((e) => statusOf(e, now));
    },

    recent(name) {
      const e = entries.get(name);
      return e ? [...e.file.value.state.recent].reverse() : undefined;
    },

    async reconfigure(heartbeats, newPingKey) {
      pingKey = newPingKey;
      const now = Date.now();
      const wanted = new Map(heartbeats.map((h) => [h.name, h]));
      for (const [name, e] of [...entries]) {
        if (!wanted.has(name)) {
          await e.file.idle();
          entries.delete(name);
          unexport(name);
        }
      }
      for (const h of heartbeats) {
        const old = entries.get(h.name);
        if (old) {
          await old.file.idle();
          // Same state object, new expectation: rebuilt by add() from the durable value.
          const scheduleChanged = (old.config.schedule ?? '') !== (h.schedule ?? '') || old.config.timezone !== h.timezone;
          old.config = h;
          if (scheduleChanged) {
            old.cron = h.schedule !== undefined ? new CronSchedule(h.schedule, h.timezone!) : undefined;
            await old.file
              .commit((d) => {
                if (old.cron) d.state.due = { schedule: old.cron.key, at: old.cron.nextAfterNow() };
                else delete d.state.due;
              })
              .catch((err: Error) => log.warn({ heartbeat: h.name, error: err.message }, 'could not write heartbeat state'));
          }
          install(h, old);
        } else {
          const e = await add(h, now);
          install(h, e);
          for (const kind of PING_KINDS) pings.inc({ heartbeat: h.name, kind }, e.file.value.state.counts[kind]);
        }
      }
      uuids = byUuid();
      slugs = bySlug();
      if (entries.size > 0) await removeUnconfigured();
    },

    async close() {
      // A write in flight finishes, so no acknowledged ping is cut short.
      await Promise.all([...entries.values()].map((e) => e.file.idle()));
    },
  };
}

/** The single-file state of earlier versions, entry by entry: a bad entry is dropped alone. */
async function readLegacy(path: string, log: FastifyBaseLogger): Promise<Map<string, Stored> | undefined> {
  const raw = await readStateFile(path, log, {});
  if (raw === undefined) return undefined;
  const file = legacyFile.safeParse(raw);
  if (!file.success) {
    await setAside(path, log, {}, z.prettifyError(file.error).replace(/\s+/g, ' '));
    return undefined;
  }
  const now = Date.now();
  const out = new Map<string, Stored>();
  for (const [name, entry] of Object.entries(file.data.heartbeats)) {
    const parsed = legacyEntry.safeParse(entry);
    if (parsed.success) out.set(name, { ...parsed.data, firstSeen: parsed.data.firstSeen ?? now });
    else log.warn({ heartbeat: name, file: path, error: z.prettifyError(parsed.error).replace(/\s+/g, ' ') }, 'invalid heartbeat state dropped');
  }
  return out;
}

