import type { ProcessSockets } from './sockets.js';
import type { KernelSource } from './sources/index.js';

// The listen backlog of listeners whose socket read did not carry it (the
// /proc tables do not; sock_diag does): asked of the source per namespace.
// Where it cannot be known, sockeye_process_listen_queue_max is not exported.
export function readListenBacklogs(source: KernelSource, sockets: ReadonlyMap<number, ProcessSockets>): Map<number, number> {
  const byNs = new Map<number | undefined, Set<number>>();
  for (const { netns, sockets: mine } of sockets.values()) {
    mine.forEach((s, inode) => {
      if (s.listenPort === undefined || s.backlog !== undefined) return;
      let set = byNs.get(netns);
      if (!set) byNs.set(netns, (set = new Set()));
      set.add(inode);
    });
  }
  const out = new Map<number, number>();
  for (const [netns, inodes] of byNs) for (const [inode, backlog] of source.listenBacklogs(netns, [...inodes])) if (inodes.has(inode)) out.set(inode, backlog);
  return out;
}
