import { failureKind } from '../procfs/errors.js';
import { classifyFdLink, readPidFdLinks, socketInode, statPidFdCount, FD_TYPES, type FdType } from '../procfs/pid/fd.js';
import type { Collector } from './context.js';

export function emptyFdCounts(): Record<FdType, number> {
  return Object.fromEntries(FD_TYPES.map((t) => [t, 0])) as Record<FdType, number>;
}

// Reads the fd directory once; the socket collector reuses the socket inodes
// found here instead of reading the directory again.
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
    const links = readPidFdLinks(env.procRoot, p.pid);
    const types = emptyFdCounts();
    const paths = new Map<string, number>();
    const inodes: number[] = [];
    for (const link of links) {
      const type = classifyFdLink(link);
      types[type]++;
      if (type === 'socket') {
        const inode = socketInode(link);
        if (inode !== undefined) inodes.push(inode);
      } else if (type === 'file' || type === 'device') {
        paths.set(link, (paths.get(link) ?? 0) + 1);
      }
    }
    p.openFds = counted ?? links.length;
    p.fdTypes = types;
    p.paths = paths;
    p.socketInodes = inodes;
  },
};
