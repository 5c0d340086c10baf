import type { Fail, Proc } from './pipeline.js';
import type { KernelSource } from './sources/index.js';

export interface ProcessInfo {
  uid: number;
  residentBytes: number | undefined;
  threads: number;
  /** Undefined when it could not be read (the failure is recorded). */
  cmdline?: string;
}

// CPU, threads and start time come from the stat read during resolution;
// this adds status (uid, RSS, threads) and the command line (unless a
// cmdline matcher already read it).
export async function readProcesses(source: KernelSource, procs: readonly Proc[], known: (pid: number) => string | Error | undefined, fail: Fail): Promise<Map<number, ProcessInfo>> {
  const unread = procs.filter((p) => known(p.pid) === undefined).map((p) => p.pid);
  const read = unread.length > 0 ? await source.cmdlines(unread) : new Map<number, string | Error>();
  const out = new Map<number, ProcessInfo>();
  for (const { pid } of procs) {
    try {
      const { uid, residentBytes, threads } = source.status(pid);
      const cmdline = known(pid) ?? read.get(pid);
      if (cmdline instanceof Error) fail(pid, cmdline);
      out.set(pid, { uid, residentBytes, threads, cmdline: typeof cmdline === 'string' ? cmdline : undefined });
    } catch (err) {
      fail(pid, err);
    }
  }
  return out;
}
