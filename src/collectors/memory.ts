import { readCgroupMemoryLimit } from '../procfs/cgroup-memory.js';
import { readPidCgroup } from '../procfs/pid/cgroup.js';
import type { Collector } from './context.js';

export const memoryCollector: Collector = {
  name: 'memory',
  process(p, env) {
    p.memoryLimitBytes = readCgroupMemoryLimit(env.cgroupRoot, readPidCgroup(env.procRoot, p.pid));
  },
};
