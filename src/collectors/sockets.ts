import type { SocketInfo } from '../procfs/net/socket-info.js';
import type { FdInfo } from './fd.js';
import type { Fail, Proc } from './pipeline.js';
import type { KernelSource } from './sources/index.js';
import { UNKNOWN_SOCKET } from './sources/text.js';

export interface ProcessSockets {
  netns: number | undefined;
  /** Every socket fd of the process by inode; those in no table of its namespace are UNKNOWN_SOCKET. */
  sockets: Map<number, SocketInfo>;
}

// A network namespace's sockets are read once, for all its processes'
// socket inodes together (from the fd walk), keeping only those.
export async function readSockets(source: KernelSource, procs: readonly Proc[], fds: ReadonlyMap<number, FdInfo>, fail: Fail): Promise<Map<number, ProcessSockets>> {
  const byNs = new Map<number | string, { netns: number | undefined; members: Array<{ pid: number; inodes: ArrayLike<number> & Iterable<number> }> }>();
  for (const { pid } of procs) {
    const inodes = fds.get(pid)?.summary?.socketInodes;
    if (!inodes || inodes.length === 0) continue;
    let netns: number | undefined;
    try {
      netns = source.netns(pid);
    } catch (err) {
      fail(pid, err);
      continue;
    }
    const key = netns ?? `pid:${pid}`;
    let group = byNs.get(key);
    if (!group) byNs.set(key, (group = { netns, members: [] }));
    group.members.push({ pid, inodes });
  }
  const out = new Map<number, ProcessSockets>();
  for (const { netns, members } of byNs.values()) {
    // One process (a sidecar's app): its own inode array, no set of thousands built.
    const wanted: Iterable<number> = members.length === 1 ? members[0]!.inodes : new Set(members.flatMap((m) => [...m.inodes]));
    const { found, error } = await source.sockets(
      netns,
      members.map((m) => m.pid),
      wanted,
    );
    if (error !== undefined) fail(members[0]!.pid, error);
    if (members.length === 1) {
      // The usual sidecar: its sockets are exactly what was found (no copy of a map of thousands).
      for (const inode of wanted) if (!found.has(inode)) found.set(inode, UNKNOWN_SOCKET);
      out.set(members[0]!.pid, { netns, sockets: found });
      continue;
    }
    for (const m of members) {
      const mine = new Map<number, SocketInfo>();
      for (const inode of m.inodes) mine.set(inode, found.get(inode) ?? UNKNOWN_SOCKET);
      out.set(m.pid, { netns, sockets: mine });
    }
  }
  return out;
}
