import { findMemoryCgroup, readCgroupMemoryLimit } from '../procfs/cgroup-memory.js';
import { readCgroupMemoryUsage } from '../procfs/cgroup-memory-usage.js';
import { parsePidCgroup, readPidCgroupText } from '../procfs/pid/cgroup.js';
import type { CgroupMemory, Collector } from './context.js';

/** Limit, working set and OOM kills of the memory cgroup of /proc/PID/cgroup `text`. */
function readCgroupMemory(cgroupRoot: string, text: string): CgroupMemory {
  const entries = parsePidCgroup(text);
  const cg = findMemoryCgroup(cgroupRoot, entries);
  const out: CgroupMemory = { limitBytes: readCgroupMemoryLimit(cgroupRoot, entries) };
  if (!cg) return out;
  out.dir = `${cg.mount}${cg.path}`;
  const usage = readCgroupMemoryUsage(cg);
  if (usage) {
    out.workingSetBytes = usage.workingSetBytes;
    out.oomKills = usage.oomKills;
  }
  return out;
}

export const memoryCollector: Collector = {
  name: 'memory',
  process(p, env) {
    const text = readPidCgroupText(env.procRoot, p.pid);
    let memory = env.cgroupMemory.get(text);
    if (memory === undefined) {
      memory = readCgroupMemory(env.cgroupRoot, text);
      env.cgroupMemory.set(text, memory);
    }
    p.cgroup = text;
    p.memoryLimitBytes = memory.limitBytes;
    p.cgroupMemory = memory;
  },
};
