import { counts, delta, MEMORY_NOISE_BYTES, mib, signed } from '../deltas.js';
import type { InspectReport, InspectTarget } from './report.js';

// What changed between two reports of `inspect --watch`: how a leak is seen
// live ("+40 fds", "+12 CLOSE_WAIT"). Pure. It counts and words changes as
// the snapshot diff does (src/deltas.ts), which compares whole pictures,
// not top-N reports.

export interface TargetDiff {
  processes: number;
  fds: number;
  residentMemoryBytes: number;
  threads: number;
  /** By upper-case socket state (all protocols together), then per "protocol state". */
  socketStates: Map<string, number>;
  sockets: Map<string, number>;
  paths: Map<string, number>;
  peers: Map<string, number>;
  /** Processes that appeared / went away, by pid. */
  started: number[];
  exited: number[];
}

export function diffTarget(before: InspectTarget, after: InspectTarget): TargetDiff {
  const stateOf = (s: { state: string; count: number }) => s.state.toUpperCase();
  const pidsBefore = new Set(before.pids);
  const pidsAfter = new Set(after.pids);
  return {
    processes: after.processes - before.processes,
    fds: (after.openFds ?? 0) - (before.openFds ?? 0),
    residentMemoryBytes: (after.residentMemoryBytes ?? 0) - (before.residentMemoryBytes ?? 0),
    threads: after.threads - before.threads,
    socketStates: delta(counts(before.sockets, stateOf, (s) => s.count), counts(after.sockets, stateOf, (s) => s.count)),
    sockets: delta(
      counts(before.sockets, (s) => `${s.protocol} ${s.state}`, (s) => s.count),
      counts(after.sockets, (s) => `${s.protocol} ${s.state}`, (s) => s.count),
    ),
    paths: delta(counts(before.topPaths, (p) => p.name, (p) => p.count), counts(after.topPaths, (p) => p.name, (p) => p.count)),
    peers: delta(counts(before.topPeers, (p) => p.peer, (p) => p.count), counts(after.topPeers, (p) => p.peer, (p) => p.count)),
    started: after.pids.filter((p) => !pidsBefore.has(p)),
    exited: before.pids.filter((p) => !pidsAfter.has(p)),
  };
}

/** Per target name; targets only in one of the reports are left out. */
export function diffReports(before: InspectReport, after: InspectReport): Map<string, TargetDiff> {
  const prev = new Map(before.targets.map((t) => [t.name, t]));
  const out = new Map<string, TargetDiff>();
  for (const t of after.targets) {
    const p = prev.get(t.name);
    if (p) out.set(t.name, diffTarget(p, t));
  }
  return out;
}

/** One short phrase per change, biggest news first: "+40 fds", "+12 CLOSE_WAIT", "pid 123 exited". */
export function describeDiff(d: TargetDiff): string[] {
  const out: string[] = [];
  if (d.fds !== 0) out.push(`${signed(d.fds)} fds`);
  for (const [state, n] of [...d.socketStates].sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))) out.push(`${signed(n)} ${state}`);
  if (d.processes !== 0) out.push(`${signed(d.processes)} process${Math.abs(d.processes) === 1 ? '' : 'es'}`);
  for (const pid of d.started) out.push(`pid ${pid} started`);
  for (const pid of d.exited) out.push(`pid ${pid} exited`);
  if (d.threads !== 0) out.push(`${signed(d.threads)} threads`);
  if (Math.abs(d.residentMemoryBytes) >= MEMORY_NOISE_BYTES) out.push(`${mib(d.residentMemoryBytes)} RSS`);
  return out;
}
