import { readFile } from 'node:fs/promises';
import { setAsideFile, writeDurably, type AsideLog } from '../durable-files.js';

export type StateFileLog = AsideLog;

/** Keeps an invalid heartbeat state file for a person to look at, out of the way of the next write. */
export function setAside(path: string, log: StateFileLog, what: object, reason: string): Promise<void> {
  return setAsideFile(path, log, what, reason, 'invalid heartbeat state dropped');
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
