// The full picture of a target, uncapped, from the values the pipeline has
// already read: pure, so it is built where the pipeline runs (the main
// thread or the worker) and crosses to the main thread as plain data.
import { summarize, type ProcessValues } from '../collectors/aggregate.js';
import { OTHER, type ProcessSnapshot, type ReadProblem, type SocketStateAge, type Usage } from '../collectors/snapshot.js';
import type { SocketInfo } from '../procfs/net/socket-info.js';
import type { Holdings, SnapshotProcess, SocketGroup, TargetPicture } from './types.js';

/** When a TCP socket (by inode) entered its state, where the age tracker knows it. */
export type SinceOf = (inode: number) => number | undefined;

/** One process of the target as the pipeline read it (its snapshot's rows are the top N: reused when nothing was cut). */
export interface PictureProcess {
  values: ProcessValues;
  snapshot: ProcessSnapshot;
}

/** Whether summarize cut rows past the top N into an "other" row (paths and peers never hold the word: they are absolute paths and IPs). */
function capped(u: Usage): boolean {
  return u.paths.at(-1)?.path === OTHER || u.peers.at(-1)?.peer === OTHER;
}

export interface PictureInput {
  name: string;
  /** The target's totals as the metrics have them (top N): reused when nothing was cut. */
  total: Usage;
  /** Collection time, ms since the epoch. */
  time: number;
  processes: readonly PictureProcess[];
  /** Listen backlogs the socket read did not give, by inode. */
  backlogs: ReadonlyMap<number, number>;
  socketAges: SocketStateAge[];
  since: SinceOf;
  readable: boolean;
  problems: ReadProblem[];
}

interface Group extends SocketGroup {
  /** Earliest `since` of the group's tracked sockets (ms), Infinity when none is tracked. */
  since: number;
}

const PROTOCOL_ORDER = ['tcp', 'tcp6', 'udp', 'udp6', 'unix', 'other'];

/**
 * Plain string order, not localeCompare: the first localeCompare in a
 * process builds ICU's collator, 2–3 MiB of resident memory (its data pages
 * and tables) that every collection would then hold for an order of IPs and
 * states, which need no language rules.
 */
const byCodeUnits = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Every socket in exactly one group of (protocol, state, peer, listening
 * port). Idle sockets share one record per (protocol, state, peer)
 * (SocketInterner), so the group key is made once per record, not per
 * socket; only the age lookup is per socket.
 */
function socketGroups(sockets: ReadonlyMap<number, SocketInfo>, since: SinceOf, time: number): SocketGroup[] {
  const byRecord = new Map<SocketInfo, Group>();
  const byKey = new Map<string, Group>();
  sockets.forEach((s, inode) => {
    let g = byRecord.get(s);
    if (g === undefined) {
      const peer = s.peer ?? null;
      const localPort = s.listenPort ?? null;
      const key = `${s.protocol} ${s.state} ${peer ?? ''} ${localPort ?? ''}`;
      g = byKey.get(key);
      if (g === undefined) byKey.set(key, (g = { protocol: s.protocol, state: s.state, peer, localPort, count: 0, rx: 0, tx: 0, oldestSeconds: null, since: Infinity }));
      byRecord.set(s, g);
    }
    g.count++;
    g.rx += s.rx;
    g.tx += s.tx;
    if ((s.protocol === 'tcp' || s.protocol === 'tcp6') && s.listenPort === undefined) {
      const t = since(inode);
      if (t !== undefined && t < g.since) g.since = t;
    }
  });
  return [...byKey.values()]
    .map(({ since: t, ...g }) => ({ ...g, oldestSeconds: t === Infinity ? null : Math.max(0, time - t) / 1000 }))
    .sort(
      (a, b) =>
        b.count - a.count ||
        PROTOCOL_ORDER.indexOf(a.protocol) - PROTOCOL_ORDER.indexOf(b.protocol) ||
        byCodeUnits(a.state, b.state) ||
        byCodeUnits(a.peer ?? '', b.peer ?? '') ||
        (a.localPort ?? 0) - (b.localPort ?? 0),
    );
}

/** The processes' sockets, a socket shared by several counted once (the map of the only one is used as it is). */
function mergedSockets(procs: readonly ProcessValues[]): ReadonlyMap<number, SocketInfo> {
  if (procs.length === 1) return procs[0]!.sockets ?? new Map();
  const all = new Map<number, SocketInfo>();
  for (const p of procs) p.sockets?.forEach((s, inode) => all.set(inode, s));
  return all;
}

type Totals = TargetPicture['total'];

/**
 * Everything the processes hold, with no top-N: summarize's rows uncapped
 * (the pipeline's own when it cut none, as for most processes), and the
 * sockets grouped with their ages.
 */
function holdings(procs: readonly ProcessValues[], input: PictureInput, summarized: Usage): Totals {
  const u = capped(summarized) ? summarize(procs, Infinity, input.backlogs) : summarized;
  return {
    openFds: u.openFds,
    maxFds: u.maxFds,
    fdUsageRatio: u.fdUsageRatio,
    fds: u.fds,
    paths: u.paths,
    sockets: socketGroups(mergedSockets(procs), input.since, input.time),
    peers: u.peers,
    listen: u.listen,
    queues: u.queues,
    residentBytes: u.residentBytes,
    memoryLimitBytes: u.memoryLimitBytes,
    workingSetBytes: u.workingSetBytes,
    oomKills: u.oomKills,
    threads: u.threads,
    cpuUserSeconds: u.cpuUserSeconds,
    cpuSystemSeconds: u.cpuSystemSeconds,
  };
}

function processHoldings(t: Totals): Holdings {
  const { openFds, maxFds, fdUsageRatio, fds, paths, sockets, peers, listen, queues } = t;
  return { openFds, maxFds, fdUsageRatio, fds, paths, sockets, peers, listen, queues };
}

/**
 * The target's picture: its totals (a socket shared by several processes
 * counts once) and each process uncapped. Command lines are as read: they
 * are redacted when a snapshot is stored (redact.ts), by the patterns
 * configured then.
 */
export function buildPicture(input: PictureInput): TargetPicture {
  const perProcess = input.processes.map((p) => ({ p, total: holdings([p.values], input, p.snapshot) }));
  // A one-process target (the usual sidecar) totals to that process: not summed again.
  const total = perProcess.length === 1 ? perProcess[0]!.total : holdings(input.processes.map((p) => p.values), input, input.total);
  const processes: SnapshotProcess[] = perProcess.map(({ p, total: t }) => ({
    pid: p.snapshot.pid,
    ppid: p.snapshot.ppid,
    startTimeSeconds: p.snapshot.startTimeSeconds,
    comm: p.snapshot.comm,
    cmdline: p.snapshot.cmdline,
    uid: p.snapshot.uid,
    maxFdsHard: p.snapshot.maxFdsHard,
    residentBytes: t.residentBytes,
    threads: t.threads,
    cpuUserSeconds: t.cpuUserSeconds,
    cpuSystemSeconds: t.cpuSystemSeconds,
    readable: p.snapshot.readable,
    problems: p.snapshot.problems,
    ...processHoldings(t),
  }));
  return { name: input.name, time: input.time, total, socketAges: input.socketAges, processes, readable: input.readable, problems: input.problems };
}
