import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapshotChanges } from '../snapshots/compare.js';
import { SNAPSHOT_ID, summarizeSnapshot } from '../snapshots/store.js';
import { pictureAsTarget } from '../snapshots/as-target.js';
import { SNAPSHOT_SCHEMA_VERSION, type Snapshot, type SnapshotStore, type SnapshotSummary } from '../snapshots/types.js';
import { diffReports } from './diff.js';
import { inspectTarget, type InspectReport } from './report.js';
import type { Style } from './style.js';
import { clean, renderText } from './text.js';

// `sockeye inspect --snapshot ID`: a stored snapshot printed like a live
// report, with what changed against the snapshot before and the baseline.

/** The picture in the shape a live collection has, so the report and its text are the live ones. */
export function snapshotReport(s: Snapshot): InspectReport {
  return { generatedAt: new Date(s.target.time).toISOString(), procRoot: s.collection.procRoot, targets: [inspectTarget(pictureAsTarget(s.target), s.collection.reader)] };
}

const utc = (ms: number) => `${new Date(ms).toISOString().replace('T', ' ').slice(0, 19)} UTC`;

function reasonText(r: Snapshot['reason']): string {
  if (r.kind === 'trigger') return `trigger ${r.trigger}: ${r.detail}`;
  if (r.kind === 'alert') return `alert ${r.alertname}: ${r.detail}`;
  return `${r.kind}: ${r.detail}`;
}

/** How many rows of paths, peers and processes a stored snapshot shows. */
const SNAPSHOT_TOP = 20;

/**
 * The snapshot as text: what changed, then the report of a live target, each
 * number that moved since `previous` (the snapshot before) carrying its
 * change as in `inspect --watch`.
 */
export function renderSnapshot(s: Snapshot, changes: SnapshotChanges, style: Style, previous?: Snapshot): string {
  const out = [
    style.bold(`snapshot ${s.id}`),
    `  target    ${clean(s.target.name)}`,
    `  saved     ${utc(s.savedAt)}${s.target.time !== s.savedAt ? ` (picture of ${utc(s.target.time)})` : ''}`,
    `  reason    ${clean(reasonText(s.reason))}`,
    ...s.crossed.map((c) => `  crossed   ${clean(`${c.trigger}: ${c.detail}`)}`),
  ];
  const section = (title: string, c: SnapshotChanges['previous'], none: string) => {
    if (!c) return out.push(style.dim(`${title}: ${none}`));
    out.push(`${title} (${c.id}, ${utc(c.savedAt)}):`);
    if (c.diff.lines.length === 0) out.push('  no change');
    for (const l of c.diff.lines) out.push(`  ${/^\+/.test(l.text) || l.kind === 'listen' || l.kind === 'gone' ? style.yellow(clean(l.text)) : clean(l.text)}`);
    if (c.diff.omitted) out.push(style.dim(`  … ${c.diff.omitted} smaller changes`));
  };
  out.push('');
  section('changed since the snapshot before', changes.previous, 'none (the first stored snapshot of this target)');
  section('changed since the healthy baseline', changes.baseline, 'none taken before it (sockeye stores one once the target has crossed no trigger for snapshots.baseline.after)');
  const own = [...s.collection.problems.map((p) => `${p.path}: ${p.message}`), ...s.collection.collectors.filter((c) => !c.success).map((c) => `collector ${c.name} failed`)];
  for (const p of own) out.push(style.yellow(`! ${clean(p)}`));
  out.push('');
  const report = snapshotReport(s);
  const diff = previous ? diffReports(snapshotReport(previous), report) : undefined;
  return `${out.join('\n')}\n${renderText(report, { style, top: SNAPSHOT_TOP, nowMs: s.target.time, diff })}`;
}

/** A stored snapshot, read where it lies: the id is not in the directory. */
export class UnknownSnapshot extends Error {}

/**
 * The stored snapshots of one directory, read without changing anything:
 * the store of a running sockeye may be writing there (it repairs and trims
 * when it opens; a reader must not). Only the target's own files are read.
 */
export async function readStored(dir: string, id: string): Promise<{ snapshot: Snapshot; store: Pick<SnapshotStore, 'list' | 'get'> }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new UnknownSnapshot(`no snapshot ${id}: cannot read ${dir} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  const ids = names.filter((n) => n.endsWith('.json') && SNAPSHOT_ID.test(n.slice(0, -5))).map((n) => n.slice(0, -5));
  if (!ids.includes(id)) throw new UnknownSnapshot(`no snapshot ${id} in ${dir} (${ids.length} stored there${ids.length ? `, newest ${ids.sort().at(-1)}` : ''})`);
  const read = async (x: string): Promise<Snapshot | undefined> => {
    try {
      return JSON.parse(await readFile(join(dir, `${x}.json`), 'utf8')) as Snapshot;
    } catch {
      // Dropped by the running sockeye meanwhile, or not readable as a snapshot: not one to compare with.
      return undefined;
    }
  };
  const snapshot = await read(id);
  if (!snapshot) throw new UnknownSnapshot(`no snapshot ${id} in ${dir} (the file is gone or not a snapshot)`);
  if (snapshot.schemaVersion !== SNAPSHOT_SCHEMA_VERSION) {
    throw new UnknownSnapshot(`snapshot ${id} in ${dir} is of schema version ${String(snapshot.schemaVersion)}; this sockeye reads version ${SNAPSHOT_SCHEMA_VERSION}`);
  }
  // An id holds its target's name made file-safe ("<time>-<target>-<4 hex>"); the file says which target exactly.
  const sameTarget = (x: string) => x.slice(21, -5) === id.slice(21, -5);
  const summaries: SnapshotSummary[] = [summarizeSnapshot(snapshot, 0)];
  for (const other of ids.filter((x) => x !== id && sameTarget(x))) {
    const s = await read(other);
    if (s?.schemaVersion === SNAPSHOT_SCHEMA_VERSION && s.target?.name === snapshot.target.name) summaries.push(summarizeSnapshot(s, 0));
  }
  summaries.sort((a, b) => b.savedAt - a.savedAt);
  return { snapshot, store: { list: () => summaries, get: read } };
}
