import type { Limit } from '../procfs/pid/limits.js';
import type { Fail, Proc } from './pipeline.js';
import type { KernelSource } from './sources/index.js';

// /proc/PID/limits is world-readable: the fd limit is known even for a process whose fds are not.
export function readLimits(source: KernelSource, procs: readonly Proc[], fail: Fail): Map<number, Limit | undefined> {
  const out = new Map<number, Limit | undefined>();
  for (const { pid } of procs) {
    try {
      out.set(pid, source.openFilesLimit(pid));
    } catch (err) {
      fail(pid, err);
    }
  }
  return out;
}
