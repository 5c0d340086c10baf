import type { SocketInfo } from '../procfs/net/socket-info.js';
import { emptyFdCounts, type FdType } from '../procfs/pid/fd.js';
import type { Limit } from '../procfs/pid/limits.js';
import { USER_HZ, type PidStat } from '../procfs/pid/stat.js';
import type { CgroupMemory } from './memory.js';
import { OTHER, type ListenPort, type PeerCount, type SocketCount, type SocketProtocol, type Usage } from './snapshot.js';
import { topWithOther } from './top.js';

function sumOrNull(values: Array<number | undefined>): number | null {
  let total: number | null = null;
  for (const v of values) if (v !== undefined) total = (total ?? 0) + v;
  return total;
}

function minOrNull(values: Array<number | null | undefined>): number | null {
  let best: number | null = null;
  for (const v of values) if (v !== null && v !== undefined && (best === null || v < best)) best = v;
  return best;
}

/** What the stages read of one process, as summarize takes it. Undefined: not read (or not readable). */
export interface ProcessValues {
  pid: number;
  stat: PidStat;
  /** From status (stat's count is from resolution, earlier). */
  threads?: number;
  residentBytes?: number;
  openFilesLimit?: Limit;
  openFds?: number;
  fdTypes?: Record<FdType, number>;
  paths?: Map<string, number>;
  sockets?: Map<number, SocketInfo>;
  /** /proc/PID/cgroup text. */
  cgroup?: string;
  memoryLimitBytes?: number | null;
  /** The memory cgroup's figures (shared by the processes in it). */
  cgroupMemory?: CgroupMemory;
}

const NO_BACKLOGS: ReadonlyMap<number, number> = new Map();

function socketUsage(sockets: ReadonlyMap<number, SocketInfo>, topN: number, backlogs: ReadonlyMap<number, number>): Pick<Usage, 'sockets' | 'peers' | 'queues' | 'listen'> {
  // protocol → state → row: no key string built per socket (tens of thousands per collection).
  const byState = new Map<SocketProtocol, Map<string, SocketCount>>();
  const peers = new Map<string, Record<string, number>>();
  const peerCounts = new Map<string, number>();
  const listen = new Map<number, ListenPort>();
  const queues = { rx: 0, tx: 0 };
  // Idle sockets share one record per (protocol, state, peer) (SocketInterner):
  // each distinct record is aggregated once, with its multiplicity.
  const records = new Map<SocketInfo, number>();
  sockets.forEach((s, inode) => {
    records.set(s, (records.get(s) ?? 0) + 1);
    if (s.listenPort === undefined) return;
    // Listeners are never shared records. The backlog of a port is known only if known for every socket on it.
    const l = listen.get(s.listenPort);
    const backlog = s.backlog ?? backlogs.get(inode) ?? null;
    if (l) {
      l.queue += s.rx;
      l.backlog = l.backlog === null || backlog === null ? null : l.backlog + backlog;
    } else listen.set(s.listenPort, { port: s.listenPort, queue: s.rx, backlog });
  });
  for (const [s, n] of records) {
    let states = byState.get(s.protocol);
    if (!states) byState.set(s.protocol, (states = new Map()));
    const row = states.get(s.state);
    if (row) row.count += n;
    else states.set(s.state, { protocol: s.protocol, state: s.state, count: n });
    if (s.listenPort !== undefined || s.protocol === 'unix' || s.protocol === 'other') continue;
    queues.rx += s.rx * n;
    queues.tx += s.tx * n;
    const peer = s.peer;
    if (peer !== undefined) {
      peerCounts.set(peer, (peerCounts.get(peer) ?? 0) + n);
      let states = peers.get(peer);
      if (!states) peers.set(peer, (states = {}));
      states[s.state] = (states[s.state] ?? 0) + n;
    }
  }
  const peerRows: PeerCount[] = topWithOther(peerCounts, topN).map(({ key, count }) => ({ peer: key, count, states: key === OTHER ? {} : { ...peers.get(key) } }));
  const other = peerRows.find((r) => r.peer === OTHER && !peers.has(OTHER));
  if (other) {
    const shown = new Set(peerRows.map((r) => r.peer));
    for (const [peer, states] of peers) {
      if (shown.has(peer)) continue;
      for (const [state, n] of Object.entries(states)) other.states[state] = (other.states[state] ?? 0) + n;
    }
  }
  const order: SocketProtocol[] = ['tcp', 'tcp6', 'udp', 'udp6', 'unix', 'other'];
  return {
    sockets: [...byState.values()].flatMap((states) => [...states.values()]).sort((a, b) => order.indexOf(a.protocol) - order.indexOf(b.protocol) || (a.state < b.state ? -1 : a.state > b.state ? 1 : 0)),
    peers: peerRows,
    queues,
    listen: [...listen.values()].sort((a, b) => a.port - b.port),
  };
}

/**
 * Summed RSS is comparable with a cgroup limit only when every process is in
 * that one cgroup (a container); processes spread over several cgroups (the
 * zero-config group "node" on a host) have no single limit to show.
 */
function sharedCgroupLimit(procs: readonly ProcessValues[]): number | null {
  const seen = procs.filter((p) => p.cgroup !== undefined);
  const first = seen[0];
  if (!first || seen.some((p) => p.cgroup !== first.cgroup)) return null;
  return first.memoryLimitBytes ?? null;
}

/**
 * Working set and OOM kills summed over the distinct memory cgroups of the
 * processes (the processes of one container share theirs); null where none
 * of them has one (the root cgroup, or no cgroup visible).
 */
function cgroupTotals(procs: readonly ProcessValues[]): Pick<Usage, 'workingSetBytes' | 'oomKills'> {
  const seen = new Set<string>();
  let workingSetBytes: number | null = null;
  let oomKills: number | null = null;
  for (const p of procs) {
    const m = p.cgroupMemory;
    if (m?.dir === undefined || m.workingSetBytes === undefined || seen.has(m.dir)) continue;
    seen.add(m.dir);
    workingSetBytes = (workingSetBytes ?? 0) + m.workingSetBytes;
    if (m.oomKills !== undefined && m.oomKills !== null) oomKills = (oomKills ?? 0) + m.oomKills;
  }
  return { workingSetBytes, oomKills };
}

/**
 * Resource use of one process or a target's processes. fds and memory are
 * summed per process; a socket held by several processes (a forked listener)
 * is one socket, counted once.
 */
export function summarize(procs: readonly ProcessValues[], topN: number, backlogs: ReadonlyMap<number, number> = NO_BACKLOGS): Usage {
  let fds: Usage['fds'] = null;
  const paths = new Map<string, number>();
  // One process (the usual sidecar): its own map, not a copy.
  const only = procs.length === 1 ? procs[0]!.sockets : undefined;
  const sockets = only ?? new Map<number, SocketInfo>();
  let ratio: number | null = null;
  for (const p of procs) {
    if (p.fdTypes) {
      fds ??= emptyFdCounts();
      for (const [type, n] of Object.entries(p.fdTypes) as Array<[keyof typeof fds, number]>) fds[type] += n;
    }
    if (p.paths) for (const [path, n] of p.paths) paths.set(path, (paths.get(path) ?? 0) + n);
    if (p.sockets && !only) for (const [inode, s] of p.sockets) sockets.set(inode, s);
    const soft = p.openFilesLimit?.soft;
    if (p.openFds !== undefined && soft) ratio = Math.max(ratio ?? 0, p.openFds / soft);
  }
  return {
    openFds: sumOrNull(procs.map((p) => p.openFds)),
    maxFds: minOrNull(procs.map((p) => p.openFilesLimit?.soft)),
    fdUsageRatio: ratio,
    fds,
    paths: topWithOther(paths, topN).map(({ key, count }) => ({ path: key, count })),
    ...socketUsage(sockets, topN, backlogs),
    residentBytes: sumOrNull(procs.map((p) => p.residentBytes)),
    memoryLimitBytes: sharedCgroupLimit(procs),
    ...cgroupTotals(procs),
    cpuUserSeconds: procs.reduce((s, p) => s + p.stat.utimeTicks, 0) / USER_HZ,
    cpuSystemSeconds: procs.reduce((s, p) => s + p.stat.stimeTicks, 0) / USER_HZ,
    threads: procs.reduce((s, p) => s + (p.threads ?? p.stat.threads), 0),
  };
}
