import { readlinkSync } from 'node:fs';
import { parseNsLink } from '../procfs/pid/ns.js';
import type { Collector } from './context.js';
import { readSsListen } from './ss-listen.js';

function ownNetNs(): number | undefined {
  try {
    return parseNsLink(readlinkSync('/proc/self/ns/net'));
  } catch {
    return undefined;
  }
}

// The listen backlog via ss, for listeners in sockeye's own network namespace
// (a sidecar shares its pod's); elsewhere, and without ss, the backlog stays
// unknown and sockeye_process_listen_queue_max is not exported.
export const listenBacklogCollector: Collector = {
  name: 'listen_backlog',
  finish(procs) {
    const own = ownNetNs();
    const listeners = procs.filter((p) => !p.gone && p.netns !== undefined && p.netns === own && p.sockets && [...p.sockets.values()].some((s) => s.listenPort !== undefined));
    if (listeners.length === 0) return;
    const ss = readSsListen();
    if (!ss) return;
    for (const p of listeners) {
      for (const [inode, s] of p.sockets!) {
        if (s.listenPort === undefined) continue;
        const row = ss.get(inode);
        if (row) s.backlog = row.backlog;
      }
    }
  },
};
