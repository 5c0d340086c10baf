// One collection as plain data: structured-clone-able (it crosses from the
// worker thread of the text source), JSON-friendly, and the single source for /metrics,
// `sockeye inspect` and the status page.
import type { FdType } from '../procfs/pid/fd.js';
import type { SocketProtocol } from '../procfs/net/socket-info.js';
import type { SocketStateAge } from './socket-ages.js';

export type { FdType } from '../procfs/pid/fd.js';
export type { SocketStateAge } from './socket-ages.js';
export { FD_TYPES } from '../procfs/pid/fd.js';
export type { SocketProtocol } from '../procfs/net/socket-info.js';

/** Label value used for the rows folded together past the top N. */
export const OTHER = 'other';

export interface PathCount {
  /** The fd's link target; deleted files keep the kernel's " (deleted)". "other" sums the rest past the top N. */
  path: string;
  count: number;
}

export interface SocketCount {
  protocol: SocketProtocol;
  /** Lowercased kernel state: established, close_wait, listen, ... (unix: listen, connected, unconnected, ...). */
  state: string;
  count: number;
}

export interface PeerCount {
  /** Remote IP of connected TCP sockets, without port; IPv4-mapped IPv6 as IPv4. "other" past the top N. */
  peer: string;
  count: number;
  /** Sockets to this peer by TCP state. */
  states: Record<string, number>;
}

export interface ListenPort {
  /** Local TCP port. */
  port: number;
  /** Connections waiting in the accept queue now (rx_queue of the LISTEN socket). */
  queue: number;
  /** The accept queue's limit, the listen() backlog (from sock_diag or `ss`; null where unknown). */
  backlog: number | null;
}

/** Something that could not be read. The collection goes on without it. */
export interface ReadProblem {
  collector: string;
  /** denied: no permission (the process is then unreadable); vanished: a file gone; error: anything else (collector fails). */
  kind: 'denied' | 'vanished' | 'error';
  /** The /proc path (relative to procRoot) that failed, e.g. "1234/fd". */
  path: string;
  message: string;
}

/** Resource use of one process, or summed over a target's processes. Null: not known (unreadable or not applicable). */
export interface Usage {
  openFds: number | null;
  /** Soft RLIMIT_NOFILE; for a target the lowest among its processes. */
  maxFds: number | null;
  /** open/max; for a target the worst process. */
  fdUsageRatio: number | null;
  /** fds by type; null when the fd directory could not be read. */
  fds: Record<FdType, number> | null;
  /** Top N paths by open fds, plus an "other" row. */
  paths: PathCount[];
  /** Sockets by protocol and state. A socket shared by several processes counts once per target. */
  sockets: SocketCount[];
  /** Top N TCP peers, plus an "other" row. */
  peers: PeerCount[];
  /** Bytes queued on non-listening TCP and UDP sockets. */
  queues: { rx: number; tx: number };
  /** Listening TCP ports with accept queue and backlog (summed over sockets on the same port). */
  listen: ListenPort[];
  residentBytes: number | null;
  /** cgroup memory limit; null when there is none (or it is not visible). */
  memoryLimitBytes: number | null;
  /** cAdvisor's working set (cgroup usage minus inactive file cache), summed over the distinct memory cgroups; null in the root cgroup. */
  workingSetBytes: number | null;
  /** OOM kills the kernel counted in those cgroups (memory.events / memory.oom_control); null without a cgroup. */
  oomKills: number | null;
  cpuUserSeconds: number;
  cpuSystemSeconds: number;
  threads: number;
}

export interface ProcessSnapshot extends Usage {
  pid: number;
  /** Start time in clock ticks after boot; (pid, starttime) identifies a process across pid reuse. */
  starttime: number;
  /** Parent pid (0 for a process started from outside its pid namespace). */
  ppid: number;
  /** Start time in seconds since the epoch, when /proc/stat's btime is known. */
  startTimeSeconds: number | null;
  comm: string;
  /** argv joined by spaces ("" when unreadable). */
  cmdline: string;
  /** Real uid of the process (null when unknown). */
  uid: number | null;
  /** Hard RLIMIT_NOFILE. */
  maxFdsHard: number | null;
  /** False when permission was denied for some part (usually /proc/PID/fd). */
  readable: boolean;
  problems: ReadProblem[];
}

/**
 * A node-mode target's container, as the series label it: kube-state-metrics'
 * forms, "" where unknown (the pod list off, or a target that is no container).
 */
export interface KubeIdentity {
  podUid: string;
  /** "containerd://<64 hex>", "cri-o://…", "docker://…" as kube_pod_container_info has it. */
  containerId: string;
  /** guaranteed, burstable, besteffort. */
  qosClass: string;
  namespace: string;
  pod: string;
  container: string;
}

export interface TargetSnapshot {
  name: string;
  /** Node mode only: the target's container (every field "" for "other" and the host groups). */
  kube?: KubeIdentity;
  /** True for the zero-config groups (every process by command name). */
  auto: boolean;
  processesMin: number;
  processesMax: number | null;
  processes: ProcessSnapshot[];
  /** Every process could be read completely. */
  readable: boolean;
  total: Usage;
  /** Per non-listening TCP state present: the oldest socket's age in it and how many are long-lived. */
  socketAges: SocketStateAge[];
  /** Problems resolving the target itself (unreadable pidfile, exe not readable). */
  problems: ReadProblem[];
}

export interface CollectorStat {
  /** "targets" is the resolution of targets to processes; the rest are the collectors. */
  name: string;
  durationSeconds: number;
  /** False when the collector hit an unexpected error (not a vanished process, not denied access). */
  success: boolean;
}

/** Who sockeye is, so a denial can say what is missing. */
export interface ReaderIdentity {
  uid: number;
  capSysPtrace: boolean;
  capDacReadSearch: boolean;
}

export interface CollectionSnapshot {
  /** When the collection started, ms since the epoch. */
  time: number;
  durationSeconds: number;
  procRoot: string;
  targets: TargetSnapshot[];
  collectors: CollectorStat[];
  /** Problems of the collection as a whole (procRoot not readable). */
  problems: ReadProblem[];
  /** The configured long-lived threshold (leaks.longLivedAfter). */
  longLivedAfterSeconds: number;
  /** Processes that matched a target but exited before they were fully read (left out). */
  vanished: number;
  /** Network namespaces whose socket tables were read. */
  netnsRead: number;
  reader: ReaderIdentity;
}
