import { diffPictures, DEFAULT_CHANGE_LINES, type PictureDiff } from './diff.js';
import type { Snapshot, SnapshotStore, SnapshotSummary } from './types.js';

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
  /** The target's healthy baseline; null when none is stored apart from the previous snapshot. */
  baseline: Comparison | null;
}

/**
 * The earlier snapshots of the same target to compare `snap` with, from the
 * store's list (newest first). The baseline is the oldest one taken while no
 * trigger was crossed: a snapshot taken on demand (reason "manual"); triggers,
 * alerts and a dying target all mean something was already wrong. When the
 * baseline would be the previous snapshot, there is only the previous one.
 */
export function earlierOf(list: SnapshotSummary[], snap: Pick<SnapshotSummary, 'id' | 'target' | 'takenAt'>): { previous?: SnapshotSummary; baseline?: SnapshotSummary } {
  // Ids sort by time; takenAt is the picture's time. Both break ties the same way.
  const before = list.filter((s) => s.target === snap.target && s.id !== snap.id && (s.takenAt < snap.takenAt || (s.takenAt === snap.takenAt && s.id < snap.id)));
  before.sort((a, b) => a.takenAt - b.takenAt || (a.id < b.id ? -1 : 1));
  const previous = before.at(-1);
  const baseline = before.find((s) => s.reason.kind === 'manual');
  return { previous, baseline: baseline && baseline.id !== previous?.id ? baseline : undefined };
}

async function compare(store: Readable, earlier: SnapshotSummary | undefined, snap: Snapshot, limit: number): Promise<Comparison | null> {
  if (!earlier) return null;
  // Dropped between list and get (the store bounds its size): as if never there.
  const old = await store.get(earlier.id);
  if (!old) return null;
  return { id: old.id, savedAt: old.savedAt, takenAt: old.target.time, diff: diffPictures(old.target, snap.target, limit) };
}

export async function changesOf(store: Readable, snap: Snapshot, limit = DEFAULT_CHANGE_LINES): Promise<SnapshotChanges> {
  const { previous, baseline } = earlierOf(store.list(), { id: snap.id, target: snap.target.name, takenAt: snap.target.time });
  return { previous: await compare(store, previous, snap, limit), baseline: await compare(store, baseline, snap, limit) };
}
