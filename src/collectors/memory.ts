import type { Fail, Proc } from './pipeline.js';
import type { KernelSource } from './sources/index.js';

export interface MemoryInfo {
  /** /proc/PID/cgroup text: which cgroup the process is in. */
  cgroup: string;
  limitBytes: number | null;
}

export function readMemory(source: KernelSource, procs: readonly Proc[], fail: Fail): Map<number, MemoryInfo> {
  // Processes of one container share a cgroup: its limit is read once.
  const limits = new Map<string, number | null>();
  const out = new Map<number, MemoryInfo>();
  for (const { pid } of procs) {
    try {
      const cgroup = source.cgroup(pid);
      let limitBytes = limits.get(cgroup);
      if (limitBytes === undefined) limits.set(cgroup, (limitBytes = source.memoryLimit(cgroup)));
      out.set(pid, { cgroup, limitBytes });
    } catch (err) {
      fail(pid, err);
    }
  }
  return out;
}
