import { readCgroupMemoryLimit } from '../procfs/cgroup-memory.js';
import { parsePidCgroup, readPidCgroupText } from '../procfs/pid/cgroup.js';
import type { Collector } from './context.js';

export const memoryCollector: Collector = {
  name: 'memory',
  process(p, env) {
    const text = readPidCgroupText(env.procRoot, p.pid);
    let limit = env.memoryLimits.get(text);
    if (limit === undefined) {
      limit = readCgroupMemoryLimit(env.cgroupRoot, parsePidCgroup(text));
      env.memoryLimits.set(text, limit);
    }
    p.cgroup = text;
    p.memoryLimitBytes = limit;
  },
};
