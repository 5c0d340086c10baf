// The kernel source of a collection: what the pipeline's stages ask of the
// kernel, and the one place that decides how it is asked. Chosen once per
// TargetCollection (a node agent would open one per network namespace).
import { requireAddon } from '../../procfs/addon.js';
import { isProcfs } from '../../procfs/is-procfs.js';
import type { SocketInfo } from '../../procfs/net/socket-info.js';
import type { FdSummary } from '../../procfs/pid/fd.js';
import type { Limit } from '../../procfs/pid/limits.js';
import type { PidStat } from '../../procfs/pid/stat.js';
import type { PidStatus } from '../../procfs/pid/status.js';
import type { CgroupMemory } from '../memory.js';
import { NativeSource } from './native.js';
import { TextSource } from './text.js';

export type SourceKind = 'native' | 'text';

export interface SourceOptions {
  procRoot: string;
  /** Where the cgroup hierarchy is mounted (v2 root, or the v1 tmpfs holding memory/). */
  cgroupRoot: string;
  /** Node mode: read each process's cgroup paths as the host writes them, when sockeye is in a cgroup namespace of its own (src/procfs/cgroup-ns.ts). */
  hostCgroups?: boolean;
}

/** The sockets of one network namespace that were found, and why the rest could not be read. */
export interface NamespaceSockets {
  found: Map<number, SocketInfo>;
  error?: unknown;
}

/** One network namespace's sockets being read, for the inodes the fd walk finds. */
export interface SocketRead {
  /** A read that needs no inode (a sock_diag dump): performance.now() when it began, and when it was done (unset while it runs). Unset for a read that starts when taken. */
  readonly early?: { startedAt: number; doneAt?: number };
  /** The sockets among `wanted`, and why the rest could not be read. Taken at most once; a read not taken is dropped. */
  take(wanted: Iterable<number>): Promise<NamespaceSockets>;
}

/** What the stages ask of the kernel. Reads throw Node-shaped fs errors (code ENOENT, EACCES, ...). */
export interface KernelSource {
  readonly kind: SourceKind;
  readonly procRoot: string;
  /** Every process directory under procRoot, ascending. */
  pids(): number[];
  stat(pid: number): PidStat;
  status(pid: number): PidStatus;
  openFilesLimit(pid: number): Limit | undefined;
  /** /proc/PID/cgroup as text: processes of one container share it, so callers cache by it. */
  cgroup(pid: number): string;
  /** The limit, working set and OOM kills of the memory cgroup of that text. */
  cgroupMemory(cgroupText: string): CgroupMemory;
  exe(pid: number): string;
  netns(pid: number): number | undefined;
  bootTime(): number | undefined;
  /** Each command line, or why it could not be read in time (bounded: the read can block). */
  cmdlines(pids: readonly number[]): Promise<Map<number, string | Error>>;
  /** The open-fd count from stat() of fd/ (no ptrace access needed); undefined where the kernel does not give it. */
  fdCount(pid: number): number | undefined;
  /** Each process's fd summary, or the walk's error. */
  fdSummaries(pids: readonly number[]): Promise<Map<number, FdSummary | Error>>;
  /**
   * Begins reading the sockets of one network namespace through its
   * processes `pids` (listeners with their backlog where the read gives it).
   * Asked before the fd walk: a read that needs no inode (the native
   * source's dump) runs beside it; the tables are read when taken, and only
   * until every wanted inode is found.
   */
  readSockets(netns: number | undefined, pids: readonly number[]): SocketRead;
  /** Backlogs of listeners whose read did not give one, by inode, where they can be known. */
  listenBacklogs(netns: number | undefined, listeners: readonly number[]): Map<number, number>;
}

export interface SourceChoice {
  kind: SourceKind;
  /**
   * Collections run in the worker thread: the text source's fd walk and
   * table reads are synchronous, and so are node mode's reads of the other
   * network namespaces' tables, with either source.
   */
  worker: boolean;
  /** Why the text source, or why the worker (unset for the native source on the main thread). */
  reason?: string;
}

/**
 * Native where the addon loads and procRoot is the real procfs (a fixture
 * tree's processes are not the kernel's to ask); text otherwise.
 * SOCKEYE_NATIVE=0 forces text. `wanted` overrides (tests, the benchmark).
 * The text source, and node mode with either, collect in the worker.
 */
export function chooseSource(procRoot: string, wanted?: SourceKind, mode: 'sidecar' | 'node' = 'sidecar'): SourceChoice {
  const choice = pickKind(procRoot, wanted);
  // A node agent's sockets are nearly all in other network namespaces than
  // its own, which either source reads as text, synchronously: on the main
  // thread that held the event loop for seconds at 100 pods (/readyz 4.5 s),
  // in the worker it does not, for the same collection time
  // (docs/performance.md, "Node agent").
  if (mode === 'node') return { kind: choice.kind, worker: true, reason: `node mode: other network namespaces are read as text, in the worker${choice.reason ? `; ${choice.reason}` : ''}` };
  return choice;
}

function pickKind(procRoot: string, wanted: SourceKind | undefined): SourceChoice {
  if (wanted) return { kind: wanted, worker: wanted === 'text' };
  if (process.env.SOCKEYE_NATIVE === '0') return { kind: 'text', worker: true, reason: 'SOCKEYE_NATIVE=0' };
  try {
    requireAddon();
  } catch (err) {
    return { kind: 'text', worker: true, reason: (err as Error).message };
  }
  return isProcfs(procRoot) ? { kind: 'native', worker: false } : { kind: 'text', worker: true, reason: `${procRoot} is not a procfs` };
}

/** For the startup line: how collections run and which fd walk they use, as fields and as words. */
export function describeSource(choice: SourceChoice): { fields: { source: SourceKind; fdWalk: 'native' | 'js'; collection: 'async' | 'worker' }; text: string } {
  const native = choice.kind === 'native';
  const walk = native ? 'native (readdir + readlinkat in C)' : 'JavaScript';
  const where = choice.worker ? 'in a worker thread' : 'on the main thread';
  const pool = native ? `, the fd walk${choice.worker ? '' : ' and the TCP socket dump'} in C on libuv's pool` : '';
  return {
    fields: { source: choice.kind, fdWalk: native ? 'native' : 'js', collection: choice.worker ? 'worker' : 'async' },
    text: `collection: ${where}${pool}; fd walk: ${walk}${choice.reason ? ` (${choice.reason})` : ''}`,
  };
}

export function openSource(kind: SourceKind, options: SourceOptions): KernelSource {
  return kind === 'native' ? new NativeSource(options, requireAddon()) : new TextSource(options);
}
