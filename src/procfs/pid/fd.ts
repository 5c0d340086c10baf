import { readdirSync, readlinkSync, statSync } from 'node:fs';
import { isProcfs } from '../is-procfs.js';
import { failureKind } from '../errors.js';

/** fd kinds, as sockeye_process_fds{type} reports them. */
export const FD_TYPES = ['file', 'socket', 'pipe', 'anon_inode', 'eventfd', 'eventpoll', 'timerfd', 'signalfd', 'inotify', 'device', 'other'] as const;
export type FdType = (typeof FD_TYPES)[number];

const ANON: Record<string, FdType> = {
  '[eventfd]': 'eventfd',
  '[eventpoll]': 'eventpoll',
  '[timerfd]': 'timerfd',
  '[signalfd]': 'signalfd',
  inotify: 'inotify',
  '[inotify]': 'inotify',
};

const SOCKET = 'socket:[';

/** The kind of one /proc/PID/fd/N link target. Pure: tested on text. */
export function classifyFdLink(link: string): FdType {
  const c = link.charCodeAt(0);
  if (c === 47 /* / */) return link.startsWith('/dev/') ? 'device' : 'file';
  if (link.startsWith(SOCKET)) return 'socket';
  if (link.startsWith('pipe:[')) return 'pipe';
  if (link.startsWith('anon_inode:')) return ANON[link.slice(11)] ?? 'anon_inode';
  return 'other';
}

/** "socket:[12345]" → 12345; undefined for anything else (the kernel writes the inode in decimal). */
export function socketInode(link: string): number | undefined {
  if (!link.startsWith(SOCKET) || link.length <= SOCKET.length + 1 || link.charCodeAt(link.length - 1) !== 93 /* ] */) return undefined;
  for (let i = SOCKET.length; i < link.length - 1; i++) {
    const c = link.charCodeAt(i);
    if (c < 48 || c > 57) return undefined;
  }
  const n = Number(link.slice(SOCKET.length, -1));
  return Number.isSafeInteger(n) ? n : undefined;
}

export function emptyFdCounts(): Record<FdType, number> {
  return Object.fromEntries(FD_TYPES.map((t) => [t, 0])) as Record<FdType, number>;
}

/** What the fd collector needs from one process's fd directory. */
export interface FdSummary {
  /** Links read (an fd closed meanwhile is not counted). */
  count: number;
  types: Record<FdType, number>;
  /** Open handles per file or device path, in first-seen order. */
  paths: Map<string, number>;
  /** Inodes of socket:[N] links, in directory order (a Float64Array from the native walk). */
  socketInodes: ArrayLike<number> & Iterable<number>;
}

/** Pure: the summary of a list of link targets. The native walk (native/fd.c) must agree with it. */
export function summarizeFdLinks(links: readonly string[]): FdSummary {
  const types = emptyFdCounts();
  const paths = new Map<string, number>();
  const socketInodes: number[] = [];
  for (const link of links) {
    const type = classifyFdLink(link);
    types[type]++;
    if (type === 'socket') {
      const inode = socketInode(link);
      if (inode !== undefined) socketInodes.push(inode);
    } else if (type === 'file' || type === 'device') {
      paths.set(link, (paths.get(link) ?? 0) + 1);
    }
  }
  return { count: links.length, types, paths, socketInodes };
}

/**
 * Every fd's link target. An fd closed between readdir and readlink is skipped.
 * Throws (EACCES, ENOENT) when the directory itself cannot be read.
 */
export function readPidFdLinks(procRoot: string, pid: number): string[] {
  const dir = `${procRoot}/${pid}/fd`;
  const names = readdirSync(dir);
  const out: string[] = [];
  for (const name of names) {
    try {
      out.push(readlinkSync(`${dir}/${name}`));
    } catch (err) {
      if (failureKind(err) !== 'vanished') throw err;
    }
  }
  return out;
}

/** The JS fd walk: readdirSync + readlinkSync, then the pure summary. */
export function readPidFdSummary(procRoot: string, pid: number): FdSummary {
  return summarizeFdLinks(readPidFdLinks(procRoot, pid));
}

/**
 * The open-fd count without per-fd work: since Linux 6.2, stat() of
 * /proc/PID/fd reports it as st_size (and needs no ptrace access). Returns
 * undefined where the kernel reports 0, so the caller counts entries instead.
 */
export function statPidFdCount(procRoot: string, pid: number): number | undefined {
  if (!isProcfs(procRoot)) return undefined;
  const size = statSync(`${procRoot}/${pid}/fd`).size;
  return size > 0 ? size : undefined;
}

