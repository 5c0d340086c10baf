import type { Fail, Proc } from './pipeline.js';
import type { KernelSource } from './sources/index.js';

/** What the memory stage reads of one memory cgroup. */
export interface CgroupMemory {
  /** The cgroup's directory (processes with the same one share its figures); undefined when not visible. */
  dir?: string;
  limitBytes: number | null;
  /** Absent in the root cgroup. */
  workingSetBytes?: number;
  oomKills?: number | null;
}

export interface MemoryInfo {
  /** /proc/PID/cgroup text: which cgroup the process is in. */
  cgroup: string;
  /** The memory cgroup's figures (shared by the processes in it). */
  memory: CgroupMemory;
}

/** `cgroupOf`: the process's /proc/PID/cgroup text (the collection's, read once). */
export function readMemory(source: KernelSource, procs: readonly Proc[], fail: Fail, cgroupOf: (pid: number) => string): Map<number, MemoryInfo> {
  // Processes of one container share a cgroup: its figures are read once.
  const cgroups = new Map<string, CgroupMemory>();
  const out = new Map<number, MemoryInfo>();
  for (const { pid } of procs) {
    try {
      const cgroup = cgroupOf(pid);
      let memory = cgroups.get(cgroup);
      if (memory === undefined) cgroups.set(cgroup, (memory = source.cgroupMemory(cgroup)));
      out.set(pid, { cgroup, memory });
    } catch (err) {
      fail(pid, err);
    }
  }
  return out;
}
