import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDurably, removeTempFiles, setAsideFile, TEMP_FILE, writeDurably, type AsideLog } from '../durable-files.js';
import { SNAPSHOT_SCHEMA_VERSION, type Snapshot, type SnapshotStore, type SnapshotSummary } from './types.js';

// One JSON file per snapshot under <stateDir>/snapshots/, each written
// durably before it is listed; the list is rebuilt from the directory at
// start, so snapshots outlive sockeye as they outlive the app.

/** Where the snapshots of a sockeye with this stateDir are kept. */
export function snapshotsDir(stateDir: string): string {
  return join(stateDir, 'snapshots');
}

/** "20261207T091502.123Z-web-7f3a": time, target (file-name safe), 4 hex digits. */
export const SNAPSHOT_ID = /^\d{8}T\d{6}\.\d{3}Z-[A-Za-z0-9_.-]{1,64}-[0-9a-f]{4}$/;

export function snapshotId(target: string, savedAt: number, random = randomBytes(2).toString('hex')): string {
  const time = new Date(savedAt).toISOString().replace(/[-:]/g, '');
  // Zero-config targets are command names, which may hold anything but "/" and NUL.
  const safe = target.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || '_';
  return `${time}-${safe}-${random}`;
}

export interface StoreBounds {
  /** Incident snapshots (every reason but baseline). */
  maxCount: number;
  maxBytes: number;
  /** Baselines, one per target: a burst of incident snapshots never drops one. */
  maxBaselines: number;
}

const isBaseline = (e: SnapshotSummary) => e.reason.kind === 'baseline';

export function summarizeSnapshot(s: Snapshot, bytes: number): SnapshotSummary {
  return { id: s.id, target: s.target.name, savedAt: s.savedAt, takenAt: s.target.time, reason: s.reason, bytes, openFds: s.target.total.openFds };
}

/** A snapshot file too large for snapshots.maxBytes on its own. */
export class SnapshotTooLarge extends Error {}

/** The fields the list needs, checked on a file read at start; anything else is not a snapshot of this version. */
function storedSummary(value: unknown, id: string, bytes: number): SnapshotSummary | undefined {
  const s = value as Partial<Snapshot> | null;
  if (typeof s !== 'object' || s === null || s.id !== id || typeof s.savedAt !== 'number') return undefined;
  const t = s.target;
  if (typeof t !== 'object' || t === null || typeof t.name !== 'string' || typeof t.time !== 'number' || typeof t.total !== 'object' || t.total === null) return undefined;
  if (typeof s.reason !== 'object' || s.reason === null || typeof s.reason.kind !== 'string') return undefined;
  return summarizeSnapshot(s as Snapshot, bytes);
}

/**
 * The stored snapshots. Incident snapshots are bounded by count and bytes:
 * before a file is written, the oldest are removed until it fits, so the
 * directory never holds more than maxBytes of them, not even during the
 * write. Baselines are apart: a new one replaces its target's, and past
 * maxBaselines the least recently refreshed goes. Saves run one at a time
 * in this process; another process (`sockeye inspect --save`) may write the
 * same directory, so a save first lists it again.
 */
export class FileSnapshotStore implements SnapshotStore {
  /** Oldest first. */
  private entries: SnapshotSummary[] = [];
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly dir: string,
    private bounds: StoreBounds,
    private readonly log: AsideLog,
  ) {}

  /**
   * Opens dir (made at the first save), listing what is there: a file that is not
   * JSON or not a snapshot is renamed aside (.corrupt-<time>), one from
   * another schema version or not named like a snapshot is left alone;
   * each is logged once. Temporary files left by a write cut short (a dead
   * writer's, or stale) are removed; another process's write in flight is not.
   */
  static async open(dir: string, bounds: StoreBounds, log: AsideLog): Promise<FileSnapshotStore> {
    const store = new FileSnapshotStore(dir, bounds, log);
    try {
      await removeTempFiles(dir);
      await store.relist(true);
    } catch (err) {
      // Made by the first save: a sockeye that never takes a snapshot writes nothing.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return store;
      // An unreadable stateDir must not stop sockeye: it runs, and each save fails, counted and logged.
      log.warn({ dir, error: (err as Error).message }, 'snapshot directory unusable; snapshots cannot be stored');
      return store;
    }
    // Bounds lowered since the last run: the oldest go now.
    await store.run(() => store.makeRoom(0));
    return store;
  }

  list(): SnapshotSummary[] {
    return [...this.entries].reverse();
  }

  /** Bytes of the stored snapshot files. */
  bytes(): number {
    return this.entries.reduce((sum, e) => sum + e.bytes, 0);
  }

  /** The target's stored baseline, if any. */
  baselineOf(target: string): SnapshotSummary | undefined {
    return this.entries.find((e) => isBaseline(e) && e.target === target);
  }

  async get(id: string): Promise<Snapshot | undefined> {
    if (!this.entries.some((e) => e.id === id)) return undefined;
    try {
      return JSON.parse(await readFile(this.path(id), 'utf8')) as Snapshot;
    } catch (err) {
      // Dropped by a save meanwhile.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  save(snapshot: Snapshot): Promise<SnapshotSummary> {
    const text = JSON.stringify(snapshot);
    const bytes = Buffer.byteLength(text);
    return this.run(async () => {
      if (bytes > this.bounds.maxBytes) throw new SnapshotTooLarge(`snapshot of ${snapshot.target.name} is ${bytes} bytes, more than snapshots.maxBytes (${this.bounds.maxBytes}) on its own`);
      // Paths, peers and command lines: for sockeye's user only.
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      // What another process stored or removed since counts against the bounds.
      await this.relist(false);
      const baseline = snapshot.reason.kind === 'baseline';
      if (!baseline) await this.makeRoom(bytes);
      await writeDurably(this.path(snapshot.id), text);
      const summary = summarizeSnapshot(snapshot, bytes);
      this.entries.push(summary);
      // The old baseline goes once the new one is durable: a crash in between leaves two, and the next open keeps the newer.
      if (baseline) await this.trimBaselines();
      return summary;
    });
  }

  /** Lists the directory again (snapshots another process stored or removed); resolves once done. */
  refresh(): Promise<void> {
    // Unreadable now (logged at open, or gone): the list stays as it was.
    return this.run(() => this.relist(false).catch(() => undefined));
  }

  /** New bounds (config reload): applied now, the oldest dropped if needed. */
  setBounds(bounds: StoreBounds): Promise<void> {
    this.bounds = bounds;
    return this.run(() => this.makeRoom(0));
  }

  /** Resolves when no save is in flight. */
  async idle(): Promise<void> {
    await this.chain.catch(() => undefined);
  }

  private path(id: string): string {
    return join(this.dir, `${id}.json`);
  }

  private run<T>(task: () => Promise<T>): Promise<T> {
    const r = this.chain.then(task);
    this.chain = r.catch(() => undefined);
    return r;
  }

  /**
   * Makes the list what the directory holds: files known are kept as they
   * are, new ones read (`report`: invalid ones set aside and logged; only
   * at open, so a listing again never logs the same file twice), gone ones
   * dropped.
   */
  private async relist(report: boolean): Promise<void> {
    const names = (await readdir(this.dir)).sort();
    const known = new Map(this.entries.map((e) => [e.id, e]));
    const entries: SnapshotSummary[] = [];
    for (const name of names) {
      const id = name.endsWith('.json') ? name.slice(0, -'.json'.length) : '';
      const path = join(this.dir, name);
      if (!SNAPSHOT_ID.test(id)) {
        if (report && !/\.corrupt-[0-9TZ-]+$/.test(name) && !TEMP_FILE.test(name)) this.log.warn({ file: path }, 'not a snapshot file; left alone');
        continue;
      }
      const had = known.get(id);
      if (had) {
        entries.push(had);
        continue;
      }
      const summary = await this.readSummary(path, id, report);
      if (summary) entries.push(summary);
    }
    entries.sort((a, b) => a.savedAt - b.savedAt || (a.id < b.id ? -1 : 1));
    this.entries = entries;
  }

  private async readSummary(path: string, id: string, report: boolean): Promise<SnapshotSummary | undefined> {
    let value: unknown;
    let bytes: number;
    try {
      const text = await readFile(path, 'utf8');
      bytes = (await stat(path)).size;
      value = JSON.parse(text);
    } catch (err) {
      // Removed by the other process since the listing.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      if (!report) return undefined;
      if (err instanceof SyntaxError) await setAsideFile(path, this.log, {}, err.message, 'invalid snapshot file set aside');
      else this.log.warn({ file: path, error: (err as Error).message }, 'snapshot file unreadable; left alone');
      return undefined;
    }
    const version = (value as Partial<Snapshot> | null)?.schemaVersion;
    if (version !== SNAPSHOT_SCHEMA_VERSION && typeof version === 'number') {
      if (report) this.log.warn({ file: path, schemaVersion: version }, `snapshot of schema version ${version}, this sockeye reads ${SNAPSHOT_SCHEMA_VERSION}; left alone`);
      return undefined;
    }
    const summary = storedSummary(value, id, bytes);
    if (!summary && report) await setAsideFile(path, this.log, {}, 'not a snapshot', 'invalid snapshot file set aside');
    return summary;
  }

  private async remove(entry: SnapshotSummary): Promise<void> {
    await removeDurably(this.path(entry.id));
    this.entries = this.entries.filter((e) => e !== entry);
  }

  /** Removes the oldest incident snapshots until one more file of `incoming` bytes fits both bounds; trims the baselines. */
  private async makeRoom(incoming: number): Promise<void> {
    const { maxCount, maxBytes } = this.bounds;
    const incidents = () => this.entries.filter((e) => !isBaseline(e));
    let total = incidents().reduce((sum, e) => sum + e.bytes, 0);
    const slots = incoming > 0 ? maxCount - 1 : maxCount;
    for (let list = incidents(); list.length > 0 && (list.length > slots || total + incoming > maxBytes); list = incidents()) {
      total -= list[0]!.bytes;
      await this.remove(list[0]!);
    }
    await this.trimBaselines();
  }

  /** One baseline per target (the newest), at most maxBaselines (the least recently refreshed go). */
  private async trimBaselines(): Promise<void> {
    const newestFirst = this.entries.filter(isBaseline).reverse();
    const seen = new Set<string>();
    for (const b of newestFirst) {
      if (seen.has(b.target) || seen.size >= this.bounds.maxBaselines) await this.remove(b);
      else seen.add(b.target);
    }
  }
}
