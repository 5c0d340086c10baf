import { failureKind } from '../procfs/errors.js';
import { statPidFdCount } from '../procfs/pid/fd.js';
import { fdAddon, readPidFdSummary, readPidFdSummaryNativeAsync } from '../procfs/pid/fd-native.js';
import type { FdSummary } from '../procfs/pid/fd.js';
import type { Collector, Prepared } from './context.js';

/** A walk prepare() did: its summary, or its failure thrown here, where the synchronous walk would throw. */
function walked(r: ReturnType<Prepared['fd']['get']>): FdSummary | undefined {
  if (r && 'error' in r) throw r.error;
  return r?.summary;
}

// Walks in flight at once on libuv's pool (four threads): the checks' DNS
// lookups and file reads use the same pool, and a zero-config collection on a
// host walks hundreds of processes.
const WALKS_AT_ONCE = 2;

// Reads the fd directory once (natively where the addon is built); the socket
// collector reuses the socket inodes found here instead of reading it again.
export const fdCollector: Collector = {
  name: 'fd',
  async prepare(procs, env) {
    const addon = fdAddon;
    if (!addon || !env.prepared) return;
    const prepared = env.prepared.fd;
    let next = 0;
    const walkNext = async (): Promise<void> => {
      for (let p = procs[next++]; p; p = procs[next++]) {
        try {
          prepared.set(p.pid, { summary: await readPidFdSummaryNativeAsync(addon, env.procRoot, p.pid) });
        } catch (error) {
          prepared.set(p.pid, { error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(WALKS_AT_ONCE, procs.length) }, walkNext));
  },
  process(p, env) {
    // The count first: stat() needs no ptrace access, so it survives a denied readdir.
    let counted: number | undefined;
    try {
      counted = statPidFdCount(env.procRoot, p.pid);
    } catch (err) {
      if (failureKind(err) !== 'denied') throw err;
    }
    p.openFds = counted;
    const fds = walked(env.prepared?.fd.get(p.pid)) ?? readPidFdSummary(env.procRoot, p.pid);
    p.openFds = counted ?? fds.count;
    p.fdTypes = fds.types;
    p.paths = fds.paths;
    p.socketInodes = fds.socketInodes;
  },
};
