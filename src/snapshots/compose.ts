// A stored snapshot from a collection's picture of a target: the one place
// that fills in the id, the reason, sockeye's own view and the redaction,
// for the app (src/snapshots/index.ts) and `sockeye inspect --save` alike.
import type { CollectionSnapshot } from '../collectors/snapshot.js';
import { redactCmdline } from './redact.js';
import { snapshotId } from './store.js';
import { SNAPSHOT_SCHEMA_VERSION, type CrossedTrigger, type Snapshot, type SnapshotReason, type TargetPicture } from './types.js';

/** sockeye's own view of a collection, as a snapshot keeps it. */
export function collectionView(c: CollectionSnapshot): Snapshot['collection'] {
  return { durationSeconds: c.durationSeconds, procRoot: c.procRoot, collectors: c.collectors, problems: c.problems, reader: c.reader };
}

/** The snapshot of `picture` (which crossed `crossed`), command lines redacted by `patterns` (compileRedaction of snapshots.redact). */
export function composeSnapshot(picture: TargetPicture, collection: Snapshot['collection'], reason: SnapshotReason, crossed: CrossedTrigger[], patterns: readonly RegExp[], savedAt = Date.now()): Snapshot {
  const target = { ...picture, processes: picture.processes.map((p) => ({ ...p, cmdline: redactCmdline(p.cmdline, patterns) })) };
  return { schemaVersion: SNAPSHOT_SCHEMA_VERSION, id: snapshotId(picture.name, savedAt), savedAt, reason, crossed, target, collection };
}
