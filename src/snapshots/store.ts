import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDurably, removeTempFiles, setAsideFile, writeDurably, type AsideLog } from '../durable-files.js';
import { SNAPSHOT_SCHEMA_VERSION, type Snapshot, type SnapshotStore, type SnapshotSummary } from './types.js';

// One JSON file per snapshot under <stateDir>/snapshots/, each written
// durably before it is listed; the list is rebuilt from the directory at
// start, so snapshots outlive sockeye as they outlive the app.

/** "20261207T091502.123Z-web-7f3a": time, target (file-name safe), 4 hex digits. */
export const SNAPSHOT_ID = /^\d{8}T\d{6}\.\d{3}Z-[A-Za-z0-9_.-]{1,64}-[0-9a-f]{4}$/;

export function snapshotId(target: string, savedAt: number, random = randomBytes(2).toString('hex')): string {
  const time = new Date(savedAt).toISOString().replace(/[-:]/g, '');
  // Zero-config targets are command names, which may hold anything but "/" and NUL.
  const safe = target.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || '_';
  return `${time}-${safe}-${random}`;
}

export interface StoreBounds {
  maxCount: number;
  maxBytes: number;
}

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
 * The stored snapshots, bounded by count and bytes: before a file is
 * written, the oldest are removed until it fits, so the directory never
 * holds more than maxBytes of snapshots, not even during the write. Saves
 * run one at a time.
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
   * each is logged once. Temporary files of a write cut short are removed.
   */
  static async open(dir: string, bounds: StoreBounds, log: AsideLog): Promise<FileSnapshotStore> {
    const store = new FileSnapshotStore(dir, bounds, log);
    let names: string[];
    try {
      await removeTempFiles(dir);
      names = (await readdir(dir)).sort();
    } catch (err) {
      // Made by the first save: a sockeye that never takes a snapshot writes nothing.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return store;
      // An unreadable stateDir must not stop sockeye: it runs, and each save fails, counted and logged.
      log.warn({ dir, error: (err as Error).message }, 'snapshot directory unusable; snapshots cannot be stored');
      return store;
    }
    for (const name of names) {
      const id = name.endsWith('.json') ? name.slice(0, -'.json'.length) : '';
      const path = join(dir, name);
      if (!SNAPSHOT_ID.test(id)) {
        if (!/\.corrupt-[0-9TZ-]+$/.test(name)) log.warn({ file: path }, 'not a snapshot file; left alone');
        continue;
      }
      let value: unknown;
      let bytes: number;
      try {
        const text = await readFile(path, 'utf8');
        bytes = (await stat(path)).size;
        value = JSON.parse(text);
      } catch (err) {
        if (err instanceof SyntaxError) await setAsideFile(path, log, {}, err.message, 'invalid snapshot file set aside');
        else log.warn({ file: path, error: (err as Error).message }, 'snapshot file unreadable; left alone');
        continue;
      }
      const version = (value as Partial<Snapshot> | null)?.schemaVersion;
      if (version !== SNAPSHOT_SCHEMA_VERSION && typeof version === 'number') {
        log.warn({ file: path, schemaVersion: version }, `snapshot of schema version ${version}, this sockeye reads ${SNAPSHOT_SCHEMA_VERSION}; left alone`);
        continue;
      }
      const summary = storedSummary(value, id, bytes);
      if (!summary) await setAsideFile(path, log, {}, 'not a snapshot', 'invalid snapshot file set aside');
      else store.entries.push(summary);
    }
    store.entries.sort((a, b) => a.savedAt - b.savedAt || (a.id < b.id ? -1 : 1));
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
      await this.makeRoom(bytes);
      // Paths, peers and command lines: for sockeye's user only.
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
      await writeDurably(this.path(snapshot.id), text);
      const summary = summarizeSnapshot(snapshot, bytes);
      this.entries.push(summary);
      return summary;
    });
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

  /** Removes the oldest until one more file of `incoming` bytes fits both bounds. */
  private async makeRoom(incoming: number): Promise<void> {
    const { maxCount, maxBytes } = this.bounds;
    let total = this.bytes();
    const slots = incoming > 0 ? maxCount - 1 : maxCount;
    while (this.entries.length > 0 && (this.entries.length > slots || total + incoming > maxBytes)) {
      const oldest = this.entries[0]!;
      await removeDurably(this.path(oldest.id));
      this.entries.shift();
      total -= oldest.bytes;
    }
  }
}
