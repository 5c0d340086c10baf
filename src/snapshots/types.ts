// An incident snapshot: the full picture of one target at one moment, kept
// under stateDir so the evidence outlives a restart of the app and of
// sockeye. Plain JSON data; the status page, the API, `sockeye inspect` and
// the diff all read this one shape.
import type { CollectorStat, ListenPort, PeerCount, ProcessSnapshot, ReaderIdentity, ReadProblem, SocketProtocol, SocketStateAge, Usage } from '../collectors/snapshot.js';
import type { FdType } from '../procfs/pid/fd.js';

/** Bumped when a stored snapshot's shape changes incompatibly; older files are listed but not read as this one. */
export const SNAPSHOT_SCHEMA_VERSION = 1;

/**
 * Sockets with the same protocol, state, peer and (for listeners) local port,
 * counted: every socket of the target is in exactly one group.
 */
export interface SocketGroup {
  protocol: SocketProtocol;
  /** Lowercased kernel state (close_wait, established, listen; unix: connected, ...). */
  state: string;
  /** Remote IP of connected TCP sockets (no port; IPv4-mapped IPv6 as IPv4); null otherwise. */
  peer: string | null;
  /** Local port of listening TCP sockets; null otherwise. */
  localPort: number | null;
  count: number;
  /** Bytes queued, summed over the group. */
  rx: number;
  tx: number;
  /** Age in this state of the oldest socket of the group, where tracked (TCP, not listening); null otherwise. */
  oldestSeconds: number | null;
}

/** Everything a target's processes hold, uncapped: no top-N, no "other" row. */
export interface Holdings {
  openFds: number | null;
  maxFds: number | null;
  fdUsageRatio: number | null;
  fds: Record<FdType, number> | null;
  /** Every path with its handle count, largest first. */
  paths: Array<{ path: string; count: number }>;
  /** Every socket, grouped (see SocketGroup), largest group first. */
  sockets: SocketGroup[];
  /** Every TCP peer with its sockets by state, largest first. */
  peers: PeerCount[];
  listen: ListenPort[];
  queues: Usage['queues'];
}

/**
 * One process at the moment of the snapshot: the collector's own fields of it
 * (ProcessSnapshot), except that cmdline has the configured secret patterns
 * replaced by "***", and its holdings.
 */
export type SnapshotProcess = Holdings &
  Pick<ProcessSnapshot, 'pid' | 'ppid' | 'startTimeSeconds' | 'comm' | 'cmdline' | 'uid' | 'maxFdsHard' | 'residentBytes' | 'threads' | 'cpuUserSeconds' | 'cpuSystemSeconds' | 'readable' | 'problems'>;

/** The whole target: its totals (a socket shared by processes counts once) and each process. */
export interface TargetPicture {
  name: string;
  /** Collection time, ms since the epoch. */
  time: number;
  total: Holdings & Pick<Usage, 'residentBytes' | 'memoryLimitBytes' | 'workingSetBytes' | 'oomKills' | 'threads' | 'cpuUserSeconds' | 'cpuSystemSeconds'>;
  socketAges: SocketStateAge[];
  processes: SnapshotProcess[];
  readable: boolean;
  /** Problems resolving the target itself. */
  problems: ReadProblem[];
}

export type SnapshotReason =
  /** A configured trigger crossed (trigger: its name, e.g. "fd_usage"; detail: the value against the threshold). */
  | { kind: 'trigger'; trigger: string; detail: string }
  /** The last picture before the target's processes vanished or were replaced (detail: which pids). */
  | { kind: 'vanished' | 'restarted'; detail: string }
  /** POST /api/snapshots or `sockeye inspect --save`. */
  | { kind: 'manual'; detail: string }
  /** An Alertmanager webhook naming the target (alertname and the alert's labels). */
  | { kind: 'alert'; alertname: string; labels: Record<string, string>; detail: string }
  /** The target's healthy baseline: no trigger crossed for snapshots.baseline.after; one per target, kept apart from the incident snapshots' bounds. */
  | { kind: 'baseline'; detail: string };

/** A configured trigger the picture crossed: its name (e.g. "fd_usage") and the value against the threshold. */
export interface CrossedTrigger {
  trigger: string;
  detail: string;
}

export interface Snapshot {
  schemaVersion: typeof SNAPSHOT_SCHEMA_VERSION;
  /** Sortable by time and safe as a file name and URL segment: e.g. "20261207T091502.123Z-web-7f3a". */
  id: string;
  /** When it was written, ms since the epoch (the picture's time may be a few collections earlier). */
  savedAt: number;
  reason: SnapshotReason;
  /**
   * Every trigger the picture crossed when it was taken, whatever the reason
   * and cooldowns (growth triggers as far back as sockeye had seen the
   * target; `sockeye inspect --save` sees one picture, so never those).
   */
  crossed: CrossedTrigger[];
  target: TargetPicture;
  /** sockeye's own view of that collection: what it is allowed to read, what failed. */
  collection: {
    durationSeconds: number;
    procRoot: string;
    collectors: CollectorStat[];
    problems: ReadProblem[];
    reader: ReaderIdentity;
  };
}

/** What the list shows of a snapshot without reading it whole. */
export interface SnapshotSummary {
  id: string;
  target: string;
  savedAt: number;
  takenAt: number;
  reason: SnapshotReason;
  bytes: number;
  openFds: number | null;
}

/** The stored snapshots: incident snapshots oldest dropped first past the count and byte bounds, baselines one per target. */
export interface SnapshotStore {
  /** Newest first. */
  list(): SnapshotSummary[];
  /** undefined: no such id (or dropped). */
  get(id: string): Promise<Snapshot | undefined>;
  /** Durable when it resolves (written, fsynced, renamed into place); returns the summary. */
  save(snapshot: Snapshot): Promise<SnapshotSummary>;
}
