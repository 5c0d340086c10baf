import type { SocketInfo } from '../procfs/net/socket-info.js';
import type { FdInfo } from './fd.js';
import type { Fail, Proc } from './pipeline.js';
import type { KernelSource, SocketRead } from './sources/index.js';
import { UNKNOWN_SOCKET } from './sources/text.js';

export interface ProcessSockets {
  netns: number | undefined;
  /** Every socket fd of the process by inode; those in no table of its namespace are UNKNOWN_SOCKET. */
  sockets: Map<number, SocketInfo>;
}

/** The network namespaces of a collection's processes, each one's read begun. */
export interface SocketReads {
  namespaces: Array<{ netns: number | undefined; pids: number[]; read: SocketRead }>;
  /** Processes whose namespace could not be read, with why. */
  errors: Map<number, unknown>;
}

/**
 * How long the reads that began before the sockets stage had run by `t`
 * (performance.now()), not counting time they sat done: they run at once,
 * so the longest.
 */
export function readingBefore(reads: SocketReads, t: number): number {
  let ms = 0;
  for (const { read } of reads.namespaces) if (read.early) ms = Math.max(ms, Math.min(read.early.doneAt ?? t, t) - read.early.startedAt);
  return ms;
}

/**
 * Groups the processes by network namespace and begins each namespace's
 * read, once for all its processes. Before the fd walk: a read that needs no
 * inode runs beside it (KernelSource.readSockets).
 */
export function beginSocketReads(source: KernelSource, procs: readonly Proc[]): SocketReads {
  const byNs = new Map<number | string, { netns: number | undefined; pids: number[] }>();
  const errors = new Map<number, unknown>();
  for (const { pid } of procs) {
    let netns: number | undefined;
    try {
      netns = source.netns(pid);
    } catch (err) {
      errors.set(pid, err);
      continue;
    }
    const key = netns ?? `pid:${pid}`;
    const group = byNs.get(key);
    if (group) group.pids.push(pid);
    else byNs.set(key, { netns, pids: [pid] });
  }
  const namespaces = [...byNs.values()].map((g) => ({ ...g, read: source.readSockets(g.netns, g.pids) }));
  return { namespaces, errors };
}

/** Each process's sockets: the fd walk's socket inodes joined to its namespace's read, keeping only those. */
export async function readSockets(reads: SocketReads, fds: ReadonlyMap<number, FdInfo>, fail: Fail): Promise<Map<number, ProcessSockets>> {
  for (const [pid, err] of reads.errors) if (fds.get(pid)?.summary?.socketInodes.length) fail(pid, err);
  const out = new Map<number, ProcessSockets>();
  for (const { netns, pids, read } of reads.namespaces) {
    const members = pids.flatMap((pid) => {
      const inodes = fds.get(pid)?.summary?.socketInodes;
      return inodes && inodes.length > 0 ? [{ pid, inodes }] : [];
    });
    if (members.length === 0) continue;
    // One process (a sidecar's app): its own inode array, no set of thousands built.
    const wanted: Iterable<number> = members.length === 1 ? members[0]!.inodes : new Set(members.flatMap((m) => [...m.inodes]));
    const { found, error } = await read.take(wanted);
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
