import { failureKind } from '../procfs/errors.js';
import { statPidFdCount } from '../procfs/pid/fd.js';
import { readPidFdSummary } from '../procfs/pid/fd-native.js';
import type { Collector } from './context.js';

// Reads the fd directory once (natively where the addon is built); the socket
// collector reuses the socket inodes found here instead of reading it again.
export const fdCollector: Collector = {
  name: 'fd',
  process(p, env) {
    // The count first: stat() needs no ptrace access, so it survives a denied readdir.
    let counted: number | undefined;
    try {
      counted = statPidFdCount(env.procRoot, p.pid);
    } catch (err) {
      if (failureKind(err) !== 'denied') throw err;
    }
    p.openFds = counted;
    const fds = readPidFdSummary(env.procRoot, p.pid);
    p.openFds = counted ?? fds.count;
    p.fdTypes = fds.types;
    p.paths = fds.paths;
    p.socketInodes = fds.socketInodes;
  },
};
