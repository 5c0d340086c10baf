// What the collectors share during one collection (worker-side, never exported
// as data: the snapshot is built from it at the end).
import type { Limit } from '../procfs/pid/limits.js';
import type { PidStat } from '../procfs/pid/stat.js';
import type { FdSummary, FdType } from '../procfs/pid/fd.js';
import type { Problem, SocketProtocol } from './snapshot.js';

/** What the memory collector reads of one memory cgroup. */
export interface CgroupMemory {
  /** The cgroup's directory (processes with the same one share its figures); undefined when not visible. */
  dir?: string;
  limitBytes: number | null;
  /** Absent in the root cgroup. */
  workingSetBytes?: number;
  oomKills?: number | null;
}

export interface CollectEnv {
  procRoot: string;
  cgroupRoot: string;
  topN: number;
  /** The memory cgroup's figures by /proc/PID/cgroup text, for this collection: processes of one container share them. */
  cgroupMemory: Map<string, CgroupMemory>;
  /** Async collections only: what collectors' prepare() read off the JS thread, for their synchronous steps. */
  prepared?: Prepared;
}

/** Results of the native work done on libuv's pool (a failure is kept, to be thrown where the synchronous read would throw). */
export interface Prepared {
  /** fd walks by pid. */
  fd: Map<number, { summary: FdSummary } | { error: unknown }>;
  /** Command lines read off the JS thread, or why not (cmdline-reads.ts). */
  cmdline?: Map<number, string | Error>;
  /** sock_diag TCP dumps by network namespace, with the processes whose sockets were asked for. */
  tcp: Map<number, { sockets: Map<number, SocketInfo>; pids: number[] }>;
}

/** One socket of a process, after the inode join with the namespace's tables. */
export interface SocketInfo {
  protocol: SocketProtocol;
  state: string;
  /** Kernel hex of the remote address, for connected TCP sockets read from /proc/net/tcp{,6}. */
  peerHex?: string;
  /** The remote address as text, for connected TCP sockets read through sock_diag. */
  peer?: string;
  rx: number;
  tx: number;
  /** Set for listening TCP sockets. */
  listenPort?: number;
  /** The listen backlog, where known (see listen-backlog.ts). */
  backlog?: number;
}

/** One process being collected. Collectors fill the fields they own. */
export interface ProcContext {
  pid: number;
  stat: PidStat;
  /** The process exited during collection: it is dropped from the snapshot. */
  gone: boolean;
  readable: boolean;
  problems: Problem[];
  // process collector
  uid?: number;
  residentBytes?: number;
  cmdline?: string;
  // limits collector
  openFilesLimit?: Limit;
  // fd collector: the fd directory is read once and shared
  openFds?: number;
  fdTypes?: Record<FdType, number>;
  paths?: Map<string, number>;
  socketInodes?: ArrayLike<number> & Iterable<number>;
  // sockets collector
  netns?: number;
  sockets?: Map<number, SocketInfo>;
  // memory collector
  /** /proc/PID/cgroup text: which cgroup the process is in. */
  cgroup?: string;
  memoryLimitBytes?: number | null;
  /** The memory cgroup's figures (shared by the processes in it). */
  cgroupMemory?: CgroupMemory;
}

export interface Collector {
  readonly name: string;
  /**
   * Async collections only, before `process`: the collector's long system
   * calls, awaited on libuv's pool, their results left in env.prepared.
   * Must not throw for one process (its failure is kept for `process`).
   */
  prepare?(procs: ProcContext[], env: CollectEnv): Promise<void>;
  /** Work for one process. Throws on failure; the runner records it against this collector. */
  process?(p: ProcContext, env: CollectEnv): void;
  /** Work across all processes after `process` (joins such as socket inode → table row). */
  finish?(procs: ProcContext[], env: CollectEnv, fail: (p: ProcContext | undefined, err: unknown) => void): void;
}
