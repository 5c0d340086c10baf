import { readOwnNetNs } from '../procfs/pid/ns.js';
import type { Collector } from './context.js';
import { readListenRows } from './diag-listen.js';

// A listener's backlog is fixed by listen(): known inodes are not asked again,
// so the kernel (or ss) is asked only when a new listening socket appears.
// Lives in the worker.
const known = new Map<number, number>();

// The listen backlog from sock_diag (the native addon, else `ss`), for
// listeners in sockeye's own network namespace (a sidecar shares its pod's);
// elsewhere, and with neither, the backlog stays unknown and
// sockeye_process_listen_queue_max is not exported.
export const listenBacklogCollector: Collector = {
  name: 'listen_backlog',
  finish(procs) {
    const own = readOwnNetNs();
    const listening = new Map<number, Array<{ backlog?: number }>>();
    for (const p of procs) {
      if (p.gone || p.netns === undefined || p.netns !== own || !p.sockets) continue;
      for (const [inode, s] of p.sockets) {
        // sock_diag's socket dump already gave it (sockets.ts).
        if (s.listenPort === undefined || s.backlog !== undefined) continue;
        let list = listening.get(inode);
        if (!list) listening.set(inode, (list = []));
        list.push(s);
      }
    }
    if ([...listening.keys()].some((inode) => !known.has(inode))) {
      const rows = readListenRows();
      if (rows) for (const inode of listening.keys()) {
        const row = rows.get(inode);
        if (row) known.set(inode, row.backlog);
      }
    }
    for (const inode of known.keys()) if (!listening.has(inode)) known.delete(inode);
    for (const [inode, sockets] of listening) {
      const backlog = known.get(inode);
      if (backlog !== undefined) for (const s of sockets) s.backlog = backlog;
    }
  },
};
