import { performance } from 'node:perf_hooks';
import { failureKind } from '../procfs/errors.js';
import { readBootTime } from '../procfs/stat.js';
import { readPidStat, USER_HZ } from '../procfs/pid/stat.js';
import { PeerNames, summarize } from './aggregate.js';
import type { CollectEnv, ProcContext } from './context.js';
import { readerIdentity } from './reader.js';
import { COLLECTORS, COLLECTOR_NAMES } from './registry.js';
import { ProcessTable, resolveTargets, type TargetSpec } from './resolve.js';
import type { CollectionSnapshot, CollectorStat, ProcessSnapshot, Problem, TargetSnapshot, Usage } from './snapshot.js';

/** Everything one collection needs: plain data, so it can be posted to the worker. */
export interface CollectOptions {
  procRoot: string;
  /** Where the cgroup hierarchy is mounted (v2 root, or the v1 tmpfs holding memory/). */
  cgroupRoot: string;
  topN: number;
  /** Undefined: the zero-config default (every process but selfPid, by command name). */
  targets?: TargetSpec[];
  /** Left out of the zero-config groups: sockeye itself. */
  selfPid?: number;
  /** Collector names to run; default all. */
  collectors?: string[];
}

/** The process is no longer the one resolved: gone, a zombie now, or its pid reused. */
function exited(procRoot: string, p: ProcContext): boolean {
  try {
    const now = readPidStat(procRoot, p.pid);
    return now.state === 'Z' || now.state === 'X' || now.starttimeTicks !== p.stat.starttimeTicks;
  } catch {
    return true;
  }
}

function relative(procRoot: string, path: unknown): string {
  const p = typeof path === 'string' ? path : '';
  return p.startsWith(`${procRoot}/`) ? p.slice(procRoot.length + 1) : p;
}

/**
 * One collection of every target, synchronously, reading /proc afresh.
 * Never throws for a process: what fails is recorded in the snapshot.
 * Runs in the collection worker, or in-process for `inspect` and tests.
 */
export function collectTargets(options: CollectOptions): CollectionSnapshot {
  const time = Date.now();
  const started = performance.now();
  const env: CollectEnv = { procRoot: options.procRoot, cgroupRoot: options.cgroupRoot, topN: options.topN, memoryLimits: new Map() };
  const table = new ProcessTable(options.procRoot);
  let resolved;
  const problems: Problem[] = [];
  // Resolution is reported like a collector: with zero-config it reads every process's stat.
  const stats: CollectorStat[] = [];
  const t0 = performance.now();
  try {
    resolved = resolveTargets(options.targets, table, options.selfPid ?? -1);
  } catch (err) {
    // procRoot itself unreadable: every target is empty, and the collection says why.
    resolved = (options.targets ?? []).map((spec) => ({ spec, auto: false, pids: [] as number[], problems: [] as Problem[] }));
    problems.push({ collector: 'targets', kind: 'error', path: options.procRoot, message: `cannot list processes: ${(err as Error).message}` });
  }
  stats.push({ name: 'targets', durationSeconds: (performance.now() - t0) / 1000, success: problems.length === 0 });

  // A process matched by several targets is read once.
  const procs = new Map<number, ProcContext>();
  for (const t of resolved) {
    for (const pid of t.pids) {
      if (procs.has(pid)) continue;
      procs.set(pid, { pid, stat: { ...table.stat(pid)! }, gone: false, readable: true, problems: [], cmdline: table.knownCmdline(pid) });
    }
  }
  const all = [...procs.values()];

  const names = options.collectors ?? COLLECTOR_NAMES;
  for (const name of names) {
    const collector = COLLECTORS.get(name);
    if (!collector) continue;
    const t0 = performance.now();
    let success = true;
    const fail = (p: ProcContext | undefined, err: unknown): void => {
      const kind = failureKind(err);
      const path = relative(options.procRoot, (err as NodeJS.ErrnoException).path);
      if (p && kind === 'vanished' && exited(options.procRoot, p)) {
        p.gone = true;
        return;
      }
      if (kind === 'error') success = false;
      if (p) {
        if (kind === 'denied') p.readable = false;
        p.problems.push({ collector: name, kind, path, message: (err as Error).message });
      }
    };
    if (collector.process) {
      for (const p of all) {
        if (p.gone) continue;
        try {
          collector.process(p, env);
        } catch (err) {
          fail(p, err);
        }
      }
    }
    if (collector.finish) {
      try {
        collector.finish(all, env, fail);
      } catch (err) {
        fail(undefined, err);
      }
    }
    stats.push({ name, durationSeconds: (performance.now() - t0) / 1000, success });
  }

  const bootTime = readBootTime(options.procRoot);
  const peerNames = new PeerNames();
  const snapshots = new Map<number, ProcessSnapshot>();
  const usages = new Map<number, Usage>();
  for (const p of all) {
    if (p.gone) continue;
    const usage = summarize([p], options.topN, peerNames);
    usages.set(p.pid, usage);
    const limit = p.openFilesLimit;
    snapshots.set(p.pid, {
      pid: p.pid,
      starttime: p.stat.starttimeTicks,
      startTimeSeconds: bootTime === undefined ? null : bootTime + p.stat.starttimeTicks / USER_HZ,
      comm: p.stat.comm,
      cmdline: p.cmdline ?? '',
      uid: p.uid ?? null,
      maxFdsHard: limit?.hard ?? null,
      readable: p.readable,
      problems: p.problems,
      ...usage,
    });
  }

  const targets: TargetSnapshot[] = resolved.map((t) => {
    const mine = t.pids.map((pid) => procs.get(pid)!).filter((p) => !p.gone);
    return {
      name: t.spec.name,
      auto: t.auto,
      processesMin: t.spec.processesMin,
      processesMax: t.spec.processesMax ?? null,
      processes: mine.map((p) => snapshots.get(p.pid)!),
      readable: mine.every((p) => p.readable) && !t.problems.some((x) => x.kind === 'denied'),
      // A one-process target (the usual sidecar) totals to that process: not summed again.
      total: mine.length === 1 ? usages.get(mine[0]!.pid)! : summarize(mine, options.topN, peerNames),
      problems: t.problems,
    };
  });

  return {
    time,
    durationSeconds: (performance.now() - started) / 1000,
    procRoot: options.procRoot,
    targets,
    collectors: stats,
    problems,
    vanished: all.filter((p) => p.gone).length,
    netnsRead: new Set(all.filter((p) => p.sockets).map((p) => p.netns ?? `pid:${p.pid}`)).size,
    reader: readerIdentity(),
  };
}

/** One process by pid, as a target named after it (for `sockeye inspect PID`). */
export function collectPid(pid: number, options: Omit<CollectOptions, 'targets' | 'selfPid'>): CollectionSnapshot {
  return collectTargets({ ...options, targets: [{ name: String(pid), match: { pid }, processesMin: 1 }] });
}
