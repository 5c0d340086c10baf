import { performance } from 'node:perf_hooks';
import { failureKind } from '../procfs/errors.js';
import { USER_HZ, type PidStat } from '../procfs/pid/stat.js';
import { summarize, type ProcessValues } from './aggregate.js';
import { readFds } from './fd.js';
import { readLimits } from './limits.js';
import { readListenBacklogs } from './listen-backlog.js';
import { readMemory } from './memory.js';
import { readOwnCapabilities } from './own-capabilities.js';
import { readProcesses } from './process.js';
import type { NodeSpec } from './resolve-node.js';
import { ProcessTable, resolveTargets, type ResolvedTarget, type TargetSpec } from './resolve.js';
import type { CollectionSnapshot, CollectorStat, ProcessSnapshot, ReadProblem, TargetSnapshot, Usage } from './snapshot.js';
import { SocketAgeTracker } from './socket-ages.js';
import { beginSocketReads, readingBefore, readSockets } from './sockets.js';
import type { KernelSource } from './sources/index.js';
import { buildPicture } from '../snapshots/picture.js';

/** Everything one collection needs: plain data, so it can be posted to the worker. */
export interface CollectOptions {
  procRoot: string;
  /** Where the cgroup hierarchy is mounted (v2 root, or the v1 tmpfs holding memory/). */
  cgroupRoot: string;
  topN: number;
  /** Undefined: the zero-config default (every process but selfPid, by command name). */
  targets?: TargetSpec[];
  /** Left out of the zero-config groups: sockeye itself and the processes it started. */
  selfPid?: number;
  /** Zero-config: at most this many targets, the smallest command names summed into "other" (default unbounded). */
  maxGroups?: number;
  /** A TCP socket this long in its state counts as long-lived (config leaks.longLivedAfter). */
  longLivedAfterMs: number;
  /** Node mode: one target per container, from cgroups (targets and maxGroups are then unused). */
  node?: NodeSpec;
  /** Node mode: cgroup paths as the host writes them (the source's option, carried to the worker's). */
  hostCgroups?: boolean;
  /** Also build each target's full picture, uncapped (snapshots.enabled). */
  pictures?: boolean;
}

/**
 * The stages in run order: the `collector` label of
 * sockeye_scrape_collector_{duration_seconds,success} ("targets" before them
 * is the resolution of targets to processes).
 */
export const STAGE_NAMES = ['process', 'limits', 'fd', 'sockets', 'listen_backlog', 'memory'] as const;

/** A process being collected, as resolution found it. */
export interface Proc {
  pid: number;
  stat: PidStat;
}

/** Records a failed read, of one process (pid) or of the stage as a whole (undefined). */
export type Fail = (pid: number | undefined, err: unknown) => void;

/** What the pipeline keeps of each process besides the stages' values: whether it is still there, and what failed. */
interface Tracked extends Proc {
  gone: boolean;
  readable: boolean;
  problems: ReadProblem[];
}

function relative(procRoot: string, path: unknown): string {
  const p = typeof path === 'string' ? path : '';
  return p.startsWith(`${procRoot}/`) ? p.slice(procRoot.length + 1) : p;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * One collection of every target through `source`, reading the kernel
 * afresh: targets resolved to processes, then each stage over the processes
 * still there, each taking the values it needs and returning its own. Never
 * throws for a process: what fails is recorded in the snapshot. The event
 * loop turns between stages (the native source's long calls are on libuv's
 * pool meanwhile). `ages` carries socket ages from one collection to the next
 * (a fresh one: every socket is new).
 */
export async function collectTargets(options: CollectOptions, source: KernelSource, ages = new SocketAgeTracker(options.longLivedAfterMs)): Promise<CollectionSnapshot> {
  const time = Date.now();
  const started = performance.now();
  const { procRoot } = source;
  const table = new ProcessTable(source);
  const problems: ReadProblem[] = [];
  const stats: CollectorStat[] = [];

  // Resolution is reported like a stage: with zero-config it reads every process's stat.
  const t0 = performance.now();
  let resolved: ResolvedTarget[];
  try {
    // Node mode's resolution is loaded only there: a sidecar never holds it.
    resolved = options.node ? (await import('./resolve-node.js')).resolveNode(options.node, table) : await resolveTargets(options.targets, table, options.selfPid ?? -1, options.maxGroups);
  } catch (err) {
    // procRoot itself unreadable: every target is empty, and the collection says why.
    resolved = (options.targets ?? []).map((spec) => ({ spec, auto: false, pids: [] as number[], problems: [] as ReadProblem[] }));
    problems.push({ collector: 'targets', kind: 'error', path: procRoot, message: `cannot list processes: ${(err as Error).message}` });
  }
  stats.push({ name: 'targets', durationSeconds: (performance.now() - t0) / 1000, success: problems.length === 0 });

  // A process matched by several targets is read once.
  const tracked = new Map<number, Tracked>();
  for (const t of resolved) for (const pid of t.pids) if (!tracked.has(pid)) tracked.set(pid, { pid, stat: table.stat(pid)!, gone: false, readable: true, problems: [] });
  const all = [...tracked.values()];
  const live = () => all.filter((p) => !p.gone);

  /** The process is no longer the one resolved: gone, a zombie now, or its pid reused. */
  const exited = (p: Tracked): boolean => {
    try {
      const now = source.stat(p.pid);
      return now.state === 'Z' || now.state === 'X' || now.starttimeTicks !== p.stat.starttimeTicks;
    } catch {
      return true;
    }
  };

  /**
   * Runs one stage, timed (with `before`: the ms its reading ran beside an
   * earlier stage, by the stage's start); it fails on an unexpected error,
   * or when a stage it `needs` failed.
   */
  async function stage<T>(name: string, needs: readonly string[], read: (fail: Fail) => Promise<Map<number, T>> | Map<number, T>, before?: (t0: number) => number): Promise<Map<number, T>> {
    await yieldToLoop();
    const start = performance.now();
    const t0 = start - (before?.(start) ?? 0);
    let success = needs.every((n) => stats.find((s) => s.name === n)?.success === true);
    const fail: Fail = (pid, err) => {
      const kind = failureKind(err);
      const p = pid === undefined ? undefined : tracked.get(pid);
      if (p && kind === 'vanished' && exited(p)) {
        p.gone = true;
        return;
      }
      if (kind === 'error') success = false;
      if (p) {
        if (kind === 'denied') p.readable = false;
        p.problems.push({ collector: name, kind, path: relative(procRoot, (err as NodeJS.ErrnoException).path), message: (err as Error).message });
      }
    };
    let values = new Map<number, T>();
    try {
      values = await read(fail);
    } catch (err) {
      fail(undefined, err);
    }
    stats.push({ name, durationSeconds: (performance.now() - t0) / 1000, success });
    return values;
  }

  const processes = await stage('process', [], (fail) => readProcesses(source, live(), (pid) => table.cmdline(pid), fail));
  const limits = await stage('limits', [], (fail) => readLimits(source, live(), fail));
  // Each network namespace's socket read begins before the fd walk, which it does not need until the join.
  const socketReads = beginSocketReads(source, live());
  const fds = await stage('fd', [], (fail) => readFds(source, live(), fail));
  const sockets = await stage('sockets', ['fd'], (fail) => readSockets(socketReads, fds, fail), (t0) => readingBefore(socketReads, t0));
  const backlogs = await stage('listen_backlog', ['sockets'], () => readListenBacklogs(source, sockets));
  const memory = await stage('memory', [], (fail) => readMemory(source, live(), fail, (pid) => table.cgroup(pid)));
  await yieldToLoop();

  const bootTime = source.bootTime();
  const snapshots = new Map<number, ProcessSnapshot>();
  const values = new Map<number, ProcessValues>();
  const usages = new Map<number, Usage>();
  for (const p of live()) {
    const proc = processes.get(p.pid);
    const fd = fds.get(p.pid);
    const mem = memory.get(p.pid);
    const v: ProcessValues = {
      pid: p.pid,
      stat: p.stat,
      threads: proc?.threads,
      residentBytes: proc?.residentBytes,
      openFilesLimit: limits.get(p.pid),
      openFds: fd?.openFds,
      fdTypes: fd?.summary?.types,
      paths: fd?.summary?.paths,
      sockets: sockets.get(p.pid)?.sockets,
      cgroup: mem?.cgroup,
      memoryLimitBytes: mem?.memory.limitBytes,
      cgroupMemory: mem?.memory,
    };
    values.set(p.pid, v);
    const usage = summarize([v], options.topN, backlogs);
    usages.set(p.pid, usage);
    snapshots.set(p.pid, {
      pid: p.pid,
      starttime: p.stat.starttimeTicks,
      ppid: p.stat.ppid,
      startTimeSeconds: bootTime === undefined ? null : bootTime + p.stat.starttimeTicks / USER_HZ,
      comm: p.stat.comm,
      cmdline: proc?.cmdline ?? '',
      uid: proc?.uid ?? null,
      maxFdsHard: v.openFilesLimit?.hard ?? null,
      readable: p.readable,
      problems: p.problems,
      ...usage,
    });
  }

  ages.begin();
  const targets: TargetSnapshot[] = resolved.map((t) => {
    const mine = t.pids.filter((pid) => !tracked.get(pid)!.gone);
    return {
      name: t.spec.name,
      ...(t.kube && { kube: t.kube }),
      auto: t.auto,
      processesMin: t.spec.processesMin,
      processesMax: t.spec.processesMax ?? null,
      processes: mine.map((pid) => snapshots.get(pid)!),
      readable: mine.every((pid) => tracked.get(pid)!.readable) && !t.problems.some((x) => x.kind === 'denied'),
      // A one-process target (the usual sidecar) totals to that process: not summed again.
      total: mine.length === 1 ? usages.get(mine[0]!)! : summarize(mine.map((pid) => values.get(pid)!), options.topN, backlogs),
      socketAges: ages.observe(t.spec.name, mine.flatMap((pid) => values.get(pid)!.sockets ?? []), time),
      problems: t.problems,
    };
  });
  // Built from the maps read above, into new rows: nothing of the source's reused socket map is kept.
  const pictures = options.pictures
    ? targets.map((t) =>
        buildPicture({
          name: t.name,
          total: t.total,
          time,
          processes: t.processes.map((p) => ({ values: values.get(p.pid)!, snapshot: p })),
          backlogs,
          socketAges: t.socketAges,
          since: ages.sinceOf(t.name),
          readable: t.readable,
          problems: t.problems,
        }),
      )
    : undefined;

  return {
    time,
    durationSeconds: (performance.now() - started) / 1000,
    procRoot,
    targets,
    collectors: stats,
    problems,
    longLivedAfterSeconds: ages.longLivedAfterMs / 1000,
    vanished: all.filter((p) => p.gone).length,
    netnsRead: new Set([...sockets].map(([pid, s]) => s.netns ?? `pid:${pid}`)).size,
    reader: readOwnCapabilities(),
    ...(pictures ? { pictures } : {}),
  };
}

/** One process by pid, as a target named after it (for `sockeye inspect PID`). */
export function pidTarget(pid: number): TargetSpec[] {
  return [{ name: String(pid), match: { pid }, processesMin: 1 }];
}
