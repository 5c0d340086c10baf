import { mkdir, open, readFile, rename } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface StateFileLog {
  warn(obj: object, msg: string): void;
}

interface Batch {
  promise: Promise<void>;
  resolve(): void;
  reject(err: unknown): void;
}

function batch(): Batch {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/**
 * A JSON file that survives kill -9 and power loss: write a temporary file,
 * fsync it, rename it over the old one, fsync the directory. Saves that
 * arrive while a write is in flight share the next write (group commit), so
 * a burst of pings costs two fsync rounds, not one per ping.
 */
export class StateFile {
  private next: Batch | undefined;
  private draining: Promise<void> | undefined;
  /** Completed writes; group commit keeps this far below the number of saves. */
  writes = 0;

  constructor(
    readonly path: string,
    private readonly snapshot: () => unknown,
    private readonly log: StateFileLog,
  ) {}

  /**
   * The stored value, or undefined when there is none. A file that cannot
   * be read or parsed is renamed aside (.corrupt-<ts>) and reported once;
   * it is never fatal. `validate` throws on a well-formed but wrong shape.
   */
  async load<T>(validate: (raw: unknown) => T): Promise<T | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      await this.setAside(err);
      return undefined;
    }
    try {
      return validate(JSON.parse(text));
    } catch (err) {
      await this.setAside(err);
      return undefined;
    }
  }

  private async setAside(err: unknown): Promise<void> {
    const aside = `${this.path}.corrupt-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    let moved = true;
    try {
      await rename(this.path, aside);
    } catch {
      moved = false;
    }
    this.log.warn(
      { file: this.path, error: (err as Error).message, ...(moved ? { setAsideAs: aside } : {}) },
      'heartbeat state file unreadable or corrupt; starting with empty state',
    );
  }

  /** Resolves once a write that includes every change made before the call is durable. */
  save(): Promise<void> {
    this.next ??= batch();
    const p = this.next.promise;
    this.draining ??= this.drain();
    return p;
  }

  /** Resolves when no write is in flight (for shutdown). */
  async idle(): Promise<void> {
    await this.draining;
  }

  private async drain(): Promise<void> {
    while (this.next) {
      const current = this.next;
      this.next = undefined;
      try {
        await this.write(JSON.stringify(this.snapshot()));
        this.writes++;
        current.resolve();
      } catch (err) {
        current.reject(err);
      }
    }
    this.draining = undefined;
  }

  private async write(text: string): Promise<void> {
    const dir = dirname(this.path);
    await mkdir(dir, { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    const fh = await open(tmp, 'w', 0o600);
    try {
      await fh.writeFile(text);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, this.path);
    // The rename itself is only durable once the directory entry is.
    const dh = await open(dir, 'r');
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  }
}
