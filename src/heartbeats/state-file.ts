import { mkdir, open, readFile, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

export interface StateFileLog {
  warn(obj: object, msg: string): void;
}

/** A state file that exists but cannot be read (EACCES, EIO): sockeye must not start and overwrite it. */
export class StateReadError extends Error {}

interface Pending<T> {
  change(draft: T): void;
  resolve(): void;
  reject(err: unknown): void;
}

const READ_ERRORS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EIO: 'input/output error',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'a parent of it is not a directory',
};

/**
 * Reads a JSON state file. undefined when there is none; a file that cannot be
 * read throws StateReadError; text that is not JSON is renamed aside
 * (.corrupt-<ts>), reported once, and read as undefined.
 */
export async function readStateFile(path: string, log: StateFileLog, what: object): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') return undefined;
    throw new StateReadError(`cannot read heartbeat state file ${path}: ${(e.code && READ_ERRORS[e.code]) ?? e.message}; fix its permissions or move it away (sockeye will not start and overwrite it)`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    await setAside(path, log, what, (err as Error).message);
    return undefined;
  }
}

/** Keeps an invalid file for a person to look at, out of the way of the next write. */
export async function setAside(path: string, log: StateFileLog, what: object, reason: string): Promise<void> {
  const aside = `${path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  let moved = true;
  try {
    await rename(path, aside);
  } catch {
    moved = false;
  }
  log.warn({ ...what, file: path, error: reason, ...(moved ? { setAsideAs: aside } : {}) }, 'invalid heartbeat state dropped');
}

/** Removes temporary files a killed process left in dir (from a write cut short). */
export async function removeTempFiles(dir: string): Promise<void> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  await Promise.all(names.filter((n) => /\.tmp-\d+$/.test(n)).map((n) => unlink(join(dir, n)).catch(() => undefined)));
}

/**
 * A value kept in a JSON file that survives kill -9 and power loss: write a
 * temporary file, fsync it, rename it over the old one, fsync the directory.
 * Changes are applied to a copy and become the value only once the write that
 * holds them is durable; a failed write takes its changes back, so a change
 * the caller was told failed is never stored later. Changes that arrive while
 * a write is in flight share the next write (group commit).
 */
export class StateFile<T> {
  private pending: Pending<T>[] = [];
  private draining: Promise<void> | undefined;
  /** Completed writes; group commit keeps this far below the number of changes. */
  writes = 0;

  constructor(
    readonly path: string,
    /** The durable value: what the file holds. */
    public value: T,
  ) {}

  /** Applies change; resolves once the file holds it, rejects (and forgets it) when the write fails. */
  commit(change: (draft: T) => void): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ change, resolve, reject });
      this.draining ??= this.drain();
    });
  }

  /** Resolves when no write is in flight (for shutdown). */
  async idle(): Promise<void> {
    await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0);
      const draft = structuredClone(this.value);
      for (const p of batch) p.change(draft);
      try {
        await writeDurably(this.path, JSON.stringify(draft));
        this.value = draft;
        this.writes++;
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(err);
      }
    }
    this.draining = undefined;
  }
}

export async function writeDurably(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `${basename(path)}.tmp-${process.pid}`);
  try {
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
  } catch (err) {
    // Disk full, or the directory went read-only: leave nothing behind.
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  // The rename itself is only durable once the directory entry is.
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/** Removes a file durably (a heartbeat dropped from the config). */
export async function removeDurably(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const dh = await open(dirname(path), 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
