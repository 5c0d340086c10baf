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

/** A command line that could not be read in time: a read of it is still pending. */
export class CmdlineStuck extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly path: string,
    waitMs: number,
  ) {
    super(`${path} not read within ${waitMs} ms: the process may be stuck holding its memory-map lock (its read is left pending, and not started again until it returns)`);
    this.name = 'CmdlineStuck';
  }
}

/** The command lines of `pids`, each a string or the read's error (CmdlineStuck when it did not finish in time). */
export async function readCmdlines(procRoot: string, pids: readonly number[], waitMs = CMDLINE_WAIT_MS): Promise<Map<number, string | Error>> {
  const out = new Map<number, string | Error>();
  const reads: Array<Promise<unknown>> = [];
  for (const pid of pids) {
    const path = `${procRoot}/${pid}/cmdline`;
    if (inFlight.has(path)) continue; // still stuck since an earlier collection
    const read = readPidCmdlineAsync(procRoot, pid).then(
      (cmdline) => void out.set(pid, cmdline),
      (err: unknown) => void out.set(pid, err as Error),
    );
    const tracked = read.finally(() => inFlight.delete(path));
    inFlight.set(path, tracked);
    reads.push(tracked);
  }
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(reads), new Promise((resolve) => (timer = setTimeout(resolve, waitMs)))]);
  clearTimeout(timer);
  // A read that settles later must not change what this collection saw.
  const seen = new Map<number, string | Error>();
  for (const pid of pids) seen.set(pid, out.get(pid) ?? new CmdlineStuck(`${procRoot}/${pid}/cmdline`, waitMs));
  return seen;
}
