import { diffPictures, DEFAULT_CHANGE_LINES, type PictureDiff } from './diff.js';
import type { Snapshot, SnapshotStore, SnapshotSummary } from './types.js';

// Which stored snapshots a snapshot is compared with, and the comparisons:
// the one just before it (what changed lately) and the target's healthy
// baseline (what changed since things were fine; src/snapshots/index.ts
// takes it). The status page, the API and `sockeye inspect --snapshot` all
// show these.

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
  /** The incident snapshot of the same target taken just before; null for the first one stored. */
  previous: Comparison | null;
  /** The target's automatic healthy baseline, when one taken before this snapshot is stored; else null. */
  baseline: Comparison | null;
}

/**
 * The earlier snapshots of the same target, from the store's list: the
 * incident snapshot just before, and the target's baseline (reason
 * "baseline", taken by sockeye while no trigger was crossed; one is kept per
 * target) if it was taken before. A baseline is never "the snapshot
 * before": it is compared as the baseline.
 */
export function earlierOf(list: SnapshotSummary[], snap: Pick<SnapshotSummary, 'id' | 'target' | 'takenAt'>): { previous?: SnapshotSummary; baseline?: SnapshotSummary } {
  // Ids sort by time; takenAt is the picture's time. Both break ties the same way.
  const before = list.filter((s) => s.target === snap.target && s.id !== snap.id && (s.takenAt < snap.takenAt || (s.takenAt === snap.takenAt && s.id < snap.id)));
  before.sort((a, b) => a.takenAt - b.takenAt || (a.id < b.id ? -1 : 1));
  const baseline = (s: SnapshotSummary) => s.reason.kind === 'baseline';
  return { previous: before.filter((s) => !baseline(s)).at(-1), baseline: before.filter(baseline).at(-1) };
}

function comparison(old: Snapshot, snap: Snapshot, limit: number): Comparison {
  return { id: old.id, savedAt: old.savedAt, takenAt: old.target.time, diff: diffPictures(old.target, snap.target, limit) };
}

/** The snapshot before and the healthy baseline of `snap`, with what changed since each. */
export async function changesOf(store: Readable, snap: Snapshot, limit = DEFAULT_CHANGE_LINES): Promise<SnapshotChanges> {
  const earlier = earlierOf(store.list(), { id: snap.id, target: snap.target.name, takenAt: snap.target.time });
  // Dropped between list and get (the store bounds its size): as if never there.
  const before = earlier.previous && (await store.get(earlier.previous.id));
  const baseline = earlier.baseline && (await store.get(earlier.baseline.id));
  return { previous: before ? comparison(before, snap, limit) : null, baseline: baseline ? comparison(baseline, snap, limit) : null };
}
