import { readPidCmdline } from '../procfs/pid/cmdline.js';
import { readPidStatus } from '../procfs/pid/status.js';
import type { Collector } from './context.js';

// CPU, threads and start time come from the stat read during resolution;
// this adds status (uid, RSS, threads) and the command line (unless a
// cmdline matcher already read it).
export const processCollector: Collector = {
  name: 'process',
  process(p, env) {
    const status = readPidStatus(env.procRoot, p.pid);
    p.uid = status.uid;
    p.residentBytes = status.residentBytes;
    p.stat.threads = status.threads;
    p.cmdline ??= readPidCmdline(env.procRoot, p.pid);
  },
};
