import { fdAddon } from '../procfs/pid/fd-native.js';
import { readSsListen } from './ss-listen.js';

export type ListenRows = Map<number, { queue: number; backlog: number }>;

/** The addon's (inode, queue, backlog) triples → rows by inode. Pure. */
export function parseDiagListeners(triples: ArrayLike<number>): ListenRows {
  const out: ListenRows = new Map();
  for (let i = 0; i + 2 < triples.length; i += 3) out.set(triples[i]!, { queue: triples[i + 1]!, backlog: triples[i + 2]! });
  return out;
}

/**
 * TCP listeners of sockeye's network namespace with their backlog: from the
 * addon's sock_diag dump when it is built (no process spawned, and works in
 * the distroless image, which has no `ss`), else from `ss -ltne`. Undefined
 * when neither can tell.
 */
export function readListenRows(): ListenRows | undefined {
  if (fdAddon) {
    try {
      return parseDiagListeners(fdAddon.listeners());
    } catch {
      // A kernel without inet_diag: ss cannot ask it either, but costs only a spawn to find out.
    }
  }
  return readSsListen();
}
