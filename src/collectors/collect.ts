import { performance } from 'node:perf_hooks';
import { failureKind } from '../procfs/errors.js';
import { readBootTime } from '../procfs/stat.js';
import { readPidStat, USER_HZ } from '../procfs/pid/stat.js';
import { PeerNames, summarize } from './aggregate.js';
import type { CollectEnv, Collector, ProcContext } from './context.js';
import { readCmdlines } from './cmdline-reads.js';
import { readerIdentity } from './reader.js';
import { COLLECTORS, COLLECTOR_NAMES } from './registry.js';
import { ProcessTable, resolveTargets, type ResolvedTarget, type TargetSpec } from './resolve.js';
import { SocketAgeTracker } from './socket-ages.js';
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
  /** A TCP socket this long in its state counts as long-lived (config leaks.longLivedAfter). */
  longLivedAfterMs: number;
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

/** One collection under way: its targets resolved, its processes being read. */
interface Run {
  options: CollectOptions;
  time: number;
  started: number;
  env: CollectEnv;
  resolved: ResolvedTarget[];
  problems: Problem[];
  stats: CollectorStat[];
  procs: Map<number, ProcContext>;
  all: ProcContext[];
}

/** Resolves the targets and lists their processes, each once. */
function begin(options: CollectOptions, table = new ProcessTable(options.procRoot)): Run {
  const time = Date.now();
  const started = performance.now();
  const env: CollectEnv = { procRoot: options.procRoot, cgroupRoot: options.cgroupRoot, topN: options.topN, cgroupMemory: new Map() };
  let resolved: ResolvedTarget[];
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
  return { options, time, started, env, resolved, problems, stats, procs, all: [...procs.values()] };
}

/**
 * One collector's synchronous steps over every process, timed from `t0`
 * (earlier when its prepare() ran first); `prepareError` is a prepare() that
 * threw, recorded as the collector's failure.
 */
function runCollector(run: Run, collector: Collector, t0: number, prepareError?: unknown): void {
  const { options, env, all } = run;
  const name = collector.name;
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
  if (prepareError !== undefined) fail(undefined, prepareError);
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
  run.stats.push({ name, durationSeconds: (performance.now() - t0) / 1000, success });
}

function collectorsOf(options: CollectOptions): Collector[] {
  return (options.collectors ?? COLLECTOR_NAMES).flatMap((name) => COLLECTORS.get(name) ?? []);
}

/** The snapshot of a run whose collectors have all run; socket ages from `ages`, which remembers them across runs. */
function end(run: Run, ages: SocketAgeTracker): CollectionSnapshot {
  const { options, all, procs } = run;
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
      ppid: p.stat.ppid,
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

  ages.begin();
  const targets: TargetSnapshot[] = run.resolved.map((t) => {
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
      socketAges: ages.observe(t.spec.name, mine.flatMap((p) => p.sockets ?? []), run.time),
      problems: t.problems,
    };
  });

  return {
    time: run.time,
    durationSeconds: (performance.now() - run.started) / 1000,
    procRoot: options.procRoot,
    targets,
    collectors: run.stats,
    problems: run.problems,
    longLivedAfterSeconds: ages.longLivedAfterMs / 1000,
    vanished: all.filter((p) => p.gone).length,
    netnsRead: new Set(all.filter((p) => p.sockets).map((p) => p.netns ?? `pid:${p.pid}`)).size,
    reader: readerIdentity(),
  };
}

/**
 * One collection of every target, synchronously, reading /proc afresh.
 * Never throws for a process: what fails is recorded in the snapshot.
 * Runs in the collection worker, or in-process for `inspect` and tests.
 * `ages` carries socket ages from one collection to the next (a fresh one: every socket is new).
 */
export function collectTargets(options: CollectOptions, ages = new SocketAgeTracker(options.longLivedAfterMs)): CollectionSnapshot {
  const run = begin(options);
  for (const collector of collectorsOf(options)) runCollector(run, collector, performance.now());
  return end(run, ages);
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The same collection on this thread without blocking it: each collector's
 * long system calls (the fd walk, the sock_diag dump) run in the native
 * addon on libuv's pool (prepare()), and the event loop turns between
 * collectors, so the JS thread is held only for each one's few milliseconds
 * of parsing and joining. No worker thread, so no second V8 heap.
 */
export async function collectTargetsAsync(options: CollectOptions, ages = new SocketAgeTracker(options.longLivedAfterMs)): Promise<CollectionSnapshot> {
  // cmdline matchers read every process's command line, which can block (cmdline-reads.ts): read them off this thread first.
  const table = new ProcessTable(options.procRoot);
  if (options.targets?.some((t) => t.match?.cmdline !== undefined)) {
    try {
      table.prefetched = await readCmdlines(options.procRoot, table.pids());
    } catch {
      // procRoot unreadable: begin() says so
    }
  }
  const run = begin(options, table);
  run.env.prepared = { fd: new Map(), tcp: new Map() };
  for (const collector of collectorsOf(options)) {
    await yieldToLoop();
    const t0 = performance.now();
    let prepareError: unknown;
    if (collector.prepare) {
      try {
        await collector.prepare(run.all.filter((p) => !p.gone), run.env);
      } catch (err) {
        prepareError = err;
      }
    }
    runCollector(run, collector, t0, prepareError);
  }
  await yieldToLoop();
  return end(run, ages);
}

/** One process by pid, as a target named after it (for `sockeye inspect PID`). */
export function collectPid(pid: number, options: Omit<CollectOptions, 'targets' | 'selfPid'>): CollectionSnapshot {
  return collectTargets({ ...options, targets: [{ name: String(pid), match: { pid }, processesMin: 1 }] });
}
