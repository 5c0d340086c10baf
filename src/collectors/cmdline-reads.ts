import { readPidCmdlineAsync } from '../procfs/pid/cmdline.js';

// Reading /proc/PID/cmdline takes the process's memory-map lock: while the
// process is stuck holding it (a page fault on a hung NFS mount, a huge
// munmap), the read blocks — the case of the `ps` that hangs. An async
// collection must neither block its event loop on that nor stack up reads
// that fill libuv's pool, so each process has at most one read in flight,
// and a collection waits for reads only so long.

/** How long a collection waits for command lines. */
export const CMDLINE_WAIT_MS = 2000;

const inFlight = new Map<string, Promise<unknown>>();

/** A command line that could not be read in time: its read is still pending, or others' are. */
export class CmdlineStuck extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly path: string,
    waitMs: number,
    ownRead = true,
  ) {
    super(
      ownRead
        ? `${path} not read within ${waitMs} ms: the process may be stuck holding its memory-map lock (its read is left pending, and not started again until it returns)`
        : `${path} not read: ${READS_AT_ONCE} reads of other processes' command lines are still pending (processes stuck holding their memory-map lock)`,
    );
    this.name = 'CmdlineStuck';
  }
}

/**
 * Reads in flight at once, those still pending from earlier collections
 * included: libuv's pool has four threads, also used by the checks' DNS
 * lookups and file reads, and a read stuck on a process's lock keeps its
 * thread. Two stuck processes stop further reads, not the pool.
 */
export const READS_AT_ONCE = 2;

/** The command lines of `pids`, each a string or the read's error (CmdlineStuck when it did not come in time). */
export async function readCmdlines(procRoot: string, pids: readonly number[], waitMs = CMDLINE_WAIT_MS): Promise<Map<number, string | Error>> {
  const out = new Map<number, string | Error>();
  const deadline = Date.now() + waitMs;
  let next = 0;
  const readNext = async (): Promise<void> => {
    while (next < pids.length && Date.now() < deadline) {
      const pid = pids[next++]!;
      const path = `${procRoot}/${pid}/cmdline`;
      if (inFlight.has(path)) continue; // still pending since an earlier collection
      const read = readPidCmdlineAsync(procRoot, pid).then(
        (cmdline) => void out.set(pid, cmdline),
        (err: unknown) => void out.set(pid, err as Error),
      );
      const tracked = read.finally(() => inFlight.delete(path));
      inFlight.set(path, tracked);
      await tracked;
    }
  };
  const slots = Math.max(0, READS_AT_ONCE - inFlight.size);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(Array.from({ length: Math.min(slots, pids.length) }, readNext)), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
  clearTimeout(timer);
  // A read that settles later must not change what this collection saw.
  const seen = new Map<number, string | Error>();
  for (const pid of pids) {
    const path = `${procRoot}/${pid}/cmdline`;
    seen.set(pid, out.get(pid) ?? new CmdlineStuck(path, waitMs, inFlight.has(path)));
  }
  return seen;
}
