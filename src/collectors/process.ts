import { readPidCmdline } from '../procfs/pid/cmdline.js';
import { readPidStatus } from '../procfs/pid/status.js';
import { readCmdlines } from './cmdline-reads.js';
import type { Collector } from './context.js';

// CPU, threads and start time come from the stat read during resolution;
// this adds status (uid, RSS, threads) and the command line (unless a
// cmdline matcher already read it; off the JS thread in an async collection).
export const processCollector: Collector = {
  name: 'process',
  async prepare(procs, env) {
    if (!env.prepared) return;
    const unknown = procs.filter((p) => p.cmdline === undefined).map((p) => p.pid);
    if (unknown.length > 0) env.prepared.cmdline = await readCmdlines(env.procRoot, unknown);
  },
  process(p, env) {
    const status = readPidStatus(env.procRoot, p.pid);
    p.uid = status.uid;
    p.residentBytes = status.residentBytes;
    p.stat.threads = status.threads;
    const read = env.prepared?.cmdline?.get(p.pid);
    if (read instanceof Error) throw read;
    p.cmdline ??= read ?? readPidCmdline(env.procRoot, p.pid);
  },
};
