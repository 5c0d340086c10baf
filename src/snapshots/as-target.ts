import type { SocketCount, TargetSnapshot } from '../collectors/snapshot.js';
import type { SocketGroup, TargetPicture } from './types.js';

// A stored picture in the shape of a live collection's target, so what reads
// a live target reads a snapshot too: inspect's report and text, and the
// triggers that tell a healthy baseline.

/** Socket groups are per peer and port; a live report counts by protocol and state. */
function byState(groups: SocketGroup[]): SocketCount[] {
  const rows = new Map<string, SocketCount>();
  for (const g of groups) {
    const key = `${g.protocol} ${g.state}`;
    const row = rows.get(key);
    if (row) row.count += g.count;
    else rows.set(key, { protocol: g.protocol, state: g.state, count: g.count });
  }
  return [...rows.values()];
}

/** The picture in the shape a live collection has, so the report and its text are the live ones. */
export function pictureAsTarget(p: TargetPicture): TargetSnapshot {
  return {
    name: p.name,
    auto: false,
    // The configured bounds are not part of a snapshot: nothing is judged against them.
    processesMin: 0,
    processesMax: null,
    readable: p.readable,
    total: { ...p.total, sockets: byState(p.total.sockets) },
    socketAges: p.socketAges,
    problems: p.problems,
    // Memory limits and OOM kills are the cgroup's, kept on the total; starttime (ticks) is not kept: startTimeSeconds is.
    processes: p.processes.map((proc) => ({ ...proc, sockets: byState(proc.sockets), memoryLimitBytes: null, workingSetBytes: null, oomKills: null, starttime: 0 })),
  };
}
