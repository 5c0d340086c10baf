import { openFilesLimit, readPidLimits } from '../procfs/pid/limits.js';
import type { Collector } from './context.js';

// /proc/PID/limits is world-readable: the fd limit is known even for a process whose fds are not.
export const limitsCollector: Collector = {
  name: 'limits',
  process(p, env) {
    p.openFilesLimit = openFilesLimit(readPidLimits(env.procRoot, p.pid));
  },
};
