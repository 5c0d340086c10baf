import { withDeadline } from './deadline.js';

/**
 * At most `size` tasks at once on libuv's pool (four threads, also used by
 * the checks' DNS lookups and file reads). Tasks still running from an
 * earlier call count: a read stuck in the kernel keeps its slot until it
 * returns, so stuck reads stop further reads, not the pool.
 */
export class Pool {
  private running = 0;

  constructor(readonly size: number) {}

  /** Tasks running now, stuck ones included. */
  get busy(): number {
    return this.running;
  }

  /**
   * `task` for each item, in order; returns when all are done or, with
   * `waitMs`, once that long has passed (no task is started after it; those
   * running are left to finish on their own).
   */
  async each<T>(items: readonly T[], task: (item: T) => Promise<void>, waitMs?: number): Promise<void> {
    const deadline = waitMs === undefined ? Infinity : Date.now() + waitMs;
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < items.length && Date.now() < deadline) {
        const item = items[next++]!;
        this.running++;
        try {
          await task(item);
        } finally {
          this.running--;
        }
      }
    };
    const lanes = Promise.all(Array.from({ length: Math.min(items.length, Math.max(0, this.size - this.running)) }, lane));
    await (waitMs === undefined ? lanes : withDeadline(lanes, waitMs, () => undefined));
  }
}
