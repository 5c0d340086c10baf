import type { TriggersConfig } from '../config/snapshots.js';
import { pictureAsTarget } from './as-target.js';
import { diffPictures, DEFAULT_CHANGE_LINES, type PictureDiff } from './diff.js';
import { evaluateTriggers, sampleOf } from './triggers.js';
import type { Snapshot, SnapshotStore, SnapshotSummary, TargetPicture } from './types.js';

// Which stored snapshots a snapshot is compared with, and the comparisons:
// the one just before it (what changed lately) and the target's healthy
// baseline (what changed since things were fine). The status page, the API
// and `sockeye inspect --snapshot` all show these.

/** What the comparison reads of the stored snapshots. */
export type Readable = Pick<SnapshotStore, 'list' | 'get'>;

export interface Comparison {
  id: string;
  savedAt: number;
  /** When the earlier picture was collected, ms since the epoch. */
  takenAt: number;
  diff: PictureDiff;
}

export interface SnapshotChanges {
  /** The snapshot of the same target taken just before; null for the first one stored. */
  previous: Comparison | null;
  /** The oldest snapshot of the target taken on demand while no trigger was crossed (not the previous one); null when there is none. */
  baseline: Comparison | null;
}

/**
 * The earlier snapshots of the same target, from the store's list (newest
 * first): the one just before, and the candidates for the baseline, oldest
 * first. A baseline is taken while no trigger was crossed, so only snapshots
 * taken on demand (reason "manual") are candidates: a trigger, an alert and a
 * dying or replaced process (the vanished and restarted triggers) all mean
 * something was already wrong. The snapshot before is no candidate: it is
 * compared anyway.
 */
export function earlierOf(list: SnapshotSummary[], snap: Pick<SnapshotSummary, 'id' | 'target' | 'takenAt'>): { previous?: SnapshotSummary; candidates: SnapshotSummary[] } {
  // Ids sort by time; takenAt is the picture's time. Both break ties the same way.
  const before = list.filter((s) => s.target === snap.target && s.id !== snap.id && (s.takenAt < snap.takenAt || (s.takenAt === snap.takenAt && s.id < snap.id)));
  before.sort((a, b) => a.takenAt - b.takenAt || (a.id < b.id ? -1 : 1));
  const previous = before.at(-1);
  return { previous, candidates: before.filter((s) => s.reason.kind === 'manual' && s !== previous) };
}

/**
 * Whether a picture crosses none of the triggers that a single picture can
 * cross (fd usage, CLOSE_WAIT count and age, memory usage): a snapshot taken
 * by hand in the middle of an incident is no baseline. The growth triggers
 * need a series; one picture never crosses them.
 */
export function healthy(picture: TargetPicture, triggers: TriggersConfig): boolean {
  const target = pictureAsTarget(picture);
  return evaluateTriggers(triggers, target, [sampleOf(target, picture.time)]).length === 0;
}

function comparison(old: Snapshot, snap: Snapshot, limit: number): Comparison {
  return { id: old.id, savedAt: old.savedAt, takenAt: old.target.time, diff: diffPictures(old.target, snap.target, limit) };
}

/** The snapshot before and the healthy baseline of `snap`, with what changed since each. */
export async function changesOf(store: Readable, snap: Snapshot, triggers: TriggersConfig, limit = DEFAULT_CHANGE_LINES): Promise<SnapshotChanges> {
  const { previous, candidates } = earlierOf(store.list(), { id: snap.id, target: snap.target.name, takenAt: snap.target.time });
  // Dropped between list and get (the store bounds its size): as if never there.
  const before = previous && (await store.get(previous.id));
  let baseline: Snapshot | undefined;
  for (const c of candidates) {
    const s = await store.get(c.id);
    if (s && healthy(s.target, triggers)) {
      baseline = s;
      break;
    }
  }
  return { previous: before ? comparison(before, snap, limit) : null, baseline: baseline ? comparison(baseline, snap, limit) : null };
}
