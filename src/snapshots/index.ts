import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { CollectionSnapshot, TargetSnapshot } from '../collectors/snapshot.js';
import type { Config } from '../config/schema.js';
import type { SnapshotsConfig } from '../config/snapshots.js';
import { SnapshotMetrics } from './metrics.js';
import { collectionView, composeSnapshot } from './compose.js';
import { targetOfCheck } from './check-target.js';
import { compileRedaction } from './redact.js';
import { FileSnapshotStore, snapshotsDir, type StoreBounds } from './store.js';
import { evaluateTriggers, growthSpan, lifecycleChange, processRefs, sampleOf, type ProcessRef, type Sample } from './triggers.js';
import type { CrossedTrigger, Snapshot, SnapshotReason, SnapshotSummary, TargetPicture } from './types.js';

export { collectionView, composeSnapshot } from './compose.js';
export { compileRedaction } from './redact.js';
export { FileSnapshotStore, SNAPSHOT_ID, snapshotsDir } from './store.js';
export type * from './types.js';

/** What the snapshots read of the collection: the last one, or a fresh one. */
export interface CollectionAccess {
  collect(): Promise<CollectionSnapshot>;
  last(): CollectionSnapshot | undefined;
}

export type TakeResult =
  | { taken: SnapshotSummary }
  /** No such target in the collection (404). */
  | { refused: 'unknown target' | 'disabled' | 'cooldown' | 'no picture'; message: string };

export interface Snapshots {
  /** Each collection: history kept, vanished and replaced processes' last pictures and crossed triggers saved. */
  observe(collection: CollectionSnapshot): void;
  /** A snapshot of the target now (the last collection if it is a few seconds old, else a fresh one). */
  take(target: string, reason: Extract<SnapshotReason, { kind: 'manual' | 'alert' }>): Promise<TakeResult>;
  /** The target a configured check connects to on this machine (for alerts with a `check` label and no `target`); undefined when none or unclear. */
  targetOfCheck(check: string): string | undefined;
  /** Newest first (baselines included: reason "baseline"). */
  list(target?: string): SnapshotSummary[];
  /** Lists the directory again: what another process (`sockeye inspect --save`) stored or removed there. */
  refresh(): Promise<void>;
  get(id: string): Promise<Snapshot | undefined>;
  /** Config reload: triggers, bounds, redaction; off drops the history. */
  reconfigure(config: Config): Promise<void>;
  /** Waits for the saves under way. */
  close(): Promise<void>;
}

/** One collection's picture of a target, as the history keeps it. */
interface Moment {
  picture: TargetPicture;
  collection: Snapshot['collection'];
  /** Its processes: pid:starttime, parent, command. */
  procs: ProcessRef[];
  /** The target's processes.min then. */
  minProcesses: number;
  /** Those that had lived restarts.minLifetime by then (their vanishing counts). */
  settled: Set<string>;
  /** The triggers this picture crossed. */
  crossed: CrossedTrigger[];
}

// Like the status page, a request shortly after a scrape shares its collection.
const FRESH_ENOUGH_MS = 5000;

function moment(t: TargetSnapshot, picture: TargetPicture, collection: Snapshot['collection'], crossed: CrossedTrigger[], minLifetimeMs: number): Moment {
  const procs = processRefs(t);
  const settled = new Set(procs.filter((_, i) => {
    const start = t.processes[i]!.startTimeSeconds;
    return start === null || picture.time - start * 1000 >= minLifetimeMs;
  }).map((p) => p.id));
  return { picture, collection, procs, minProcesses: t.processesMin, settled, crossed };
}

function storeBounds(s: SnapshotsConfig): StoreBounds {
  return { maxCount: s.maxCount, maxBytes: s.maxBytes, maxBaselines: s.baseline === false ? 0 : s.baseline.maxTargets };
}

/** The reason's label on sockeye_snapshots_taken_total. */
function metricReason(reason: SnapshotReason): string {
  return reason.kind === 'trigger' ? reason.trigger : reason.kind;
}

/**
 * Incident snapshots: the store under <stateDir>/snapshots, the rolling
 * history of each target's last pictures (kept only while enabled), the
 * triggers with their cooldowns, and the metrics.
 */
export async function createSnapshots(config: Config, registry: Registry, log: FastifyBaseLogger, collection: CollectionAccess): Promise<Snapshots> {
  let settings: SnapshotsConfig = config.snapshots;
  let minLifetimeMs = config.restarts.minLifetime;
  let checks = config.checks;
  let patterns = compileRedaction(settings.redact);
  const files = await FileSnapshotStore.open(snapshotsDir(config.stateDir), storeBounds(settings), log);
  const metrics = new SnapshotMetrics(registry, () => files);
  // Each target's picture of the last collection: only it is ever stored as "the last before it died".
  const history = new Map<string, Moment>();
  const samples = new Map<string, Sample[]>();
  // target NUL trigger → when the last snapshot for it was taken.
  const cooldowns = new Map<string, number>();
  const pending = new Set<Promise<unknown>>();
  // When each target's streak of collections crossing no trigger began (its processes unchanged).
  const healthySince = new Map<string, number>();
  // Targets whose baseline is being written: one at a time.
  const baselining = new Set<string>();

  async function save(m: Moment, reason: SnapshotReason): Promise<SnapshotSummary> {
    const snapshot = composeSnapshot(m.picture, m.collection, reason, m.crossed, patterns);
    try {
      const summary = await files.save(snapshot);
      metrics.taken.inc({ reason: metricReason(reason) });
      log.info({ snapshot: summary.id, target: summary.target, reason: reason.kind, detail: reason.detail, bytes: summary.bytes }, `snapshot of ${summary.target} stored: ${reason.detail}`);
      return summary;
    } catch (err) {
      metrics.failures.inc();
      log.error({ err, target: m.picture.name, reason: reason.kind }, `snapshot of ${m.picture.name} could not be stored: ${(err as Error).message}`);
      throw err;
    }
  }

  /** Starts a cooldown for (target, key); false when one is running. */
  function cool(target: string, key: string, now: number): boolean {
    const k = `${target}\0${key}`;
    const last = cooldowns.get(k);
    if (last !== undefined && now - last < settings.cooldown) return false;
    cooldowns.set(k, now);
    return true;
  }

  /** Saves without making the collection wait; a failure is counted and logged by save. */
  function saveLater(m: Moment, reason: SnapshotReason): Promise<unknown> {
    const p = save(m, reason).catch(() => undefined);
    pending.add(p);
    void p.finally(() => pending.delete(p));
    return p;
  }

  /**
   * The target's healthy baseline is due: healthy for baseline.after, and
   * its stored one missing or older than baseline.every (by the picture's
   * time, so it counts across restarts of sockeye).
   */
  function baselineDue(target: string, now: number): boolean {
    const b = settings.baseline;
    const since = healthySince.get(target);
    if (b === false || since === undefined || now - since < b.after || baselining.has(target)) return false;
    const stored = files.baselineOf(target);
    return !stored || now - stored.takenAt >= b.every;
  }

  function forget(target: string): void {
    history.delete(target);
    samples.delete(target);
    healthySince.delete(target);
  }

  const longestSpan = () => growthSpan(Math.max(settings.triggers.fdGrowth === false ? 0 : settings.triggers.fdGrowth.window, settings.triggers.memoryGrowth === false ? 0 : settings.triggers.memoryGrowth.window));

  return {
    observe(c) {
      if (!settings.enabled || !c.pictures) return;
      const triggers = settings.triggers;
      const pictures = new Map(c.pictures.map((p) => [p.name, p]));
      const view = collectionView(c);
      const seen = new Set<string>();
      for (const t of c.targets) {
        const picture = pictures.get(t.name);
        if (!picture) continue;
        seen.add(t.name);
        let series = samples.get(t.name);
        if (!series) samples.set(t.name, (series = []));
        series.push(sampleOf(t, c.time));
        const since = c.time - longestSpan();
        while (series.length > 1 && series[0]!.time < since) series.shift();
        const crossed = evaluateTriggers(triggers, t, series);

        const now = moment(t, picture, view, crossed, minLifetimeMs);
        const before = history.get(t.name);
        const change = before && lifecycleChange(before.procs, now.procs, before.settled, t.processesMin);
        // The last picture with the processes that are gone: what they held when they died.
        if (change && triggers[change.kind] && cool(t.name, change.kind, c.time)) saveLater(before, { kind: change.kind, detail: change.detail });

        // Triggers crossed together share one snapshot (the same picture), each starting its cooldown.
        const fired = crossed.filter((f) => cool(t.name, f.trigger, c.time));
        if (fired.length > 0) saveLater(now, { kind: 'trigger', trigger: fired[0]!.trigger, detail: fired.map((f) => f.detail).join('; ') });

        if (crossed.length > 0 || change || t.processes.length === 0) healthySince.delete(t.name);
        else if (!healthySince.has(t.name)) healthySince.set(t.name, c.time);
        if (baselineDue(t.name, c.time)) {
          baselining.add(t.name);
          const streak = Math.round((c.time - healthySince.get(t.name)!) / 1000);
          const name = t.name;
          void saveLater(now, { kind: 'baseline', detail: `no trigger crossed for ${streak}s` }).then((saved) => {
            baselining.delete(name);
            // Not stored (counted and logged): tried again a whole baseline.after later, not on every collection.
            if (!saved && healthySince.has(name)) healthySince.set(name, Date.now());
          });
        }

        history.set(t.name, now);
      }
      // A zero-config group whose last process exited is no target any more.
      for (const [name, before] of history) {
        if (seen.has(name)) continue;
        const change = lifecycleChange(before.procs, [], before.settled, before.minProcesses);
        if (change && triggers.vanished && cool(name, 'vanished', c.time)) saveLater(before, { kind: 'vanished', detail: `${change.detail}; the target is gone` });
        forget(name);
      }
    },

    async take(target, reason) {
      if (!settings.enabled) return { refused: 'disabled', message: 'snapshots are disabled (snapshots.enabled: false)' };
      const last = collection.last();
      const c = last?.pictures?.some((p) => p.name === target) && Date.now() - last.time < FRESH_ENOUGH_MS ? last : await collection.collect();
      const t = c.targets.find((x) => x.name === target);
      if (!t) return { refused: 'unknown target', message: `no target named ${JSON.stringify(target)} (targets: ${c.targets.map((x) => x.name).join(', ') || 'none'})` };
      const picture = c.pictures?.find((p) => p.name === target);
      if (!picture) return { refused: 'no picture', message: 'the collection gave no picture (it timed out or snapshots were just enabled); try again' };
      // An alert repeated by Alertmanager (group_interval, repeat_interval) is frozen once per cooldown.
      if (reason.kind === 'alert' && !cool(target, `alert:${reason.alertname}`, Date.now())) {
        return { refused: 'cooldown', message: `a snapshot of ${target} for ${reason.alertname} was taken less than snapshots.cooldown ago` };
      }
      // The growth triggers look back on the series observed so far, up to this collection.
      const series = [...(samples.get(target) ?? []).filter((s) => s.time < c.time), sampleOf(t, c.time)];
      return { taken: await save(moment(t, picture, collectionView(c), evaluateTriggers(settings.triggers, t, series), minLifetimeMs), reason) };
    },

    targetOfCheck(name) {
      const check = checks.find((c) => c.name === name);
      const last = collection.last();
      return check && last ? targetOfCheck(check, last.targets) : undefined;
    },

    list(target) {
      const all = files.list();
      return target === undefined ? all : all.filter((s) => s.target === target);
    },

    get: (id) => files.get(id),

    refresh: () => files.refresh(),

    async reconfigure(next) {
      settings = next.snapshots;
      minLifetimeMs = next.restarts.minLifetime;
      checks = next.checks;
      patterns = compileRedaction(settings.redact);
      if (!settings.enabled) for (const name of [...history.keys()]) forget(name);
      await files.setBounds(storeBounds(settings));
    },

    async close() {
      await Promise.all(pending);
      await files.idle();
    },
  };
}
