// When a target's picture is worth keeping without anyone asking: the leak
// and limit signals the alerts page on (alerts/groups/*.ts), evaluated on
// each collection with no `for:`, so the evidence is frozen by the time the
// page arrives. Pure: the caller keeps the samples and the cooldowns.
import type { TargetSnapshot } from '../collectors/snapshot.js';
import type { TriggersConfig } from '../config/snapshots.js';
import type { CrossedTrigger } from './types.js';

/** What growth triggers look back on: one per collection of the target. */
export interface Sample {
  time: number;
  openFds: number | null;
  /**
   * RSS, as the MemoryLeak alert takes it: memory the processes keep. The
   * working set is the whole cgroup's (shared by every process in it, page
   * cache included), no leak signal.
   */
  memoryBytes: number | null;
}


export function sampleOf(target: TargetSnapshot, time: number): Sample {
  return { time, openFds: target.total.openFds, memoryBytes: target.total.residentBytes };
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;
const minutes = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);

/**
 * As the leak alerts' consecutive windows (alerts/leak.ts: the minimum of
 * each of 4 windows above the one before, 5 windows in all): the growth
 * window in this many parts, plus one part before it, the lowest value of
 * each above the lowest of the one before. Growth the quiet moments keep,
 * so a ramp that levelled off (a warm-up filling its cache) is no leak
 * however steep it was.
 */
export const GROWTH_PARTS = 4;

/** How far back a growth trigger with this window looks: the window and the part before it. */
export const growthSpan = (windowMs: number) => windowMs + windowMs / GROWTH_PARTS;

/**
 * The value now against the lowest in the part before the window (the
 * samples end with now's), when it rose through every part; undefined when
 * it did not, or the samples do not cover every part yet.
 */
function growth(samples: readonly Sample[], windowMs: number, value: (s: Sample) => number | null): { now: number; low: number } | undefined {
  const last = samples.at(-1);
  const now = last && value(last);
  if (!last || now === null || now === undefined) return undefined;
  const part = windowMs / GROWTH_PARTS;
  const from = last.time - growthSpan(windowMs);
  const lows: number[] = new Array<number>(GROWTH_PARTS + 1).fill(Infinity);
  for (const s of samples) {
    const v = value(s);
    if (s.time < from || v === null) continue;
    const i = Math.min(GROWTH_PARTS, Math.floor((s.time - from) / part));
    lows[i] = Math.min(lows[i]!, v);
  }
  for (let i = 1; i <= GROWTH_PARTS; i++) if (!(lows[i]! > lows[i - 1]!)) return undefined;
  return lows[0] === Infinity ? undefined : { now, low: lows[0]! };
}

/** The triggers the target crosses now (fd_usage, fd_growth, close_wait, close_wait_stuck, memory_usage, memory_growth). A target with no process crosses none (vanishing is told apart by the history). */
export function evaluateTriggers(config: TriggersConfig, target: TargetSnapshot, samples: readonly Sample[]): CrossedTrigger[] {
  if (target.processes.length === 0) return [];
  const fired: CrossedTrigger[] = [];
  const t = target.total;
  if (config.fdUsage !== false && t.fdUsageRatio !== null && t.fdUsageRatio >= config.fdUsage) {
    fired.push({ trigger: 'fd_usage', detail: `fd usage ${t.fdUsageRatio.toFixed(3)} >= ${config.fdUsage} (${t.openFds} of ${t.maxFds})` });
  }
  if (config.fdGrowth !== false) {
    const g = growth(samples, config.fdGrowth.window, (s) => s.openFds);
    if (g && g.now - g.low >= config.fdGrowth.atLeast) fired.push({ trigger: 'fd_growth', detail: `open fds ${g.low} -> ${g.now} within ${minutes(config.fdGrowth.window)} (+${g.now - g.low} >= ${config.fdGrowth.atLeast})` });
  }
  if (config.closeWait !== false) {
    const n = t.sockets.reduce((sum, s) => sum + (s.state === 'close_wait' ? s.count : 0), 0);
    if (n >= config.closeWait) fired.push({ trigger: 'close_wait', detail: `${n} sockets in CLOSE_WAIT >= ${config.closeWait}` });
  }
  if (config.closeWaitStuck !== false) {
    const age = target.socketAges.find((a) => a.state === 'close_wait');
    if (age && age.longLived >= config.closeWaitStuck) {
      fired.push({ trigger: 'close_wait_stuck', detail: `${age.longLived} sockets long in CLOSE_WAIT >= ${config.closeWaitStuck} (oldest ${Math.round(age.oldestSeconds)}s)` });
    }
  }
  const memory = t.workingSetBytes ?? t.residentBytes;
  if (config.memoryUsage !== false && memory !== null && t.memoryLimitBytes !== null && t.memoryLimitBytes > 0 && memory / t.memoryLimitBytes >= config.memoryUsage) {
    fired.push({ trigger: 'memory_usage', detail: `memory ${mib(memory)} of ${mib(t.memoryLimitBytes)} limit (${(memory / t.memoryLimitBytes).toFixed(3)} >= ${config.memoryUsage})` });
  }
  if (config.memoryGrowth !== false) {
    const g = growth(samples, config.memoryGrowth.window, (s) => s.memoryBytes);
    if (g && g.now - g.low >= config.memoryGrowth.atLeast) {
      fired.push({ trigger: 'memory_growth', detail: `RSS ${mib(g.low)} -> ${mib(g.now)} within ${minutes(config.memoryGrowth.window)} (+${mib(g.now - g.low)} >= ${mib(config.memoryGrowth.atLeast)})` });
    }
  }
  return fired;
}

/** A process of a target as the lifecycle compares them: (pid, start time) identifies it across pid reuse. */
export interface ProcessRef {
  id: string;
  ppid: number;
  /** comm and command line: what it runs. */
  command: string;
}

export function processRefs(target: TargetSnapshot): ProcessRef[] {
  return target.processes.map((p) => ({ id: `${p.pid}:${p.starttime}`, ppid: p.ppid, command: `${p.comm}\0${p.cmdline}` }));
}

/**
 * Whether processes of the target were replaced or vanished since the last
 * collection, as the restart and process-count alerts tell them:
 *
 * - restarted: a process gone and a new one with the same parent and
 *   command in its place (a worker respawned by its master, a pid reused by
 *   the same program), or the new one's parent the replacement of the gone
 *   one's (the whole app restarted, master and workers);
 * - vanished: processes gone and fewer left than the target's minimum
 *   (`processes.min`, at least 1: none at all).
 *
 * Only processes in `settled` count as gone: one that lived a few seconds (a
 * cron job, a health-check shell) is turnover. So is a process that ended
 * with enough left and nothing like it started: a session's backend, a
 * prefork child that served its requests.
 */
export function lifecycleChange(
  before: readonly ProcessRef[],
  now: readonly ProcessRef[],
  settled: ReadonlySet<string>,
  minProcesses: number,
): { kind: 'vanished' | 'restarted'; detail: string } | undefined {
  const current = new Set(now.map((p) => p.id));
  const gone = before.filter((p) => !current.has(p.id) && settled.has(p.id));
  if (gone.length === 0) return undefined;
  const previous = new Set(before.map((p) => p.id));
  const added = now.filter((p) => !previous.has(p.id));
  // Parents first: a child of a replaced parent is paired through it.
  const replacedBy = new Map<number, number>();
  const unpaired = [...gone];
  for (const n of added) {
    const i = unpaired.findIndex((g) => g.command === n.command && (g.ppid === n.ppid || replacedBy.get(g.ppid) === n.ppid));
    if (i < 0) continue;
    replacedBy.set(pidOf(unpaired[i]!.id), pidOf(n.id));
    unpaired.splice(i, 1);
  }
  const pids = (list: readonly ProcessRef[]) => `${list.length === 1 ? 'pid' : 'pids'} ${list.map((p) => pidOf(p.id)).join(', ')}`;
  if (replacedBy.size > 0) {
    const replaced = gone.filter((g) => replacedBy.has(pidOf(g.id)));
    const by = added.filter((n) => [...replacedBy.values()].includes(pidOf(n.id)));
    return { kind: 'restarted', detail: `${pids(replaced)} gone, ${pids(by)} new` };
  }
  if (now.length < Math.max(1, minProcesses)) return { kind: 'vanished', detail: `${pids(gone)} gone, ${now.length === 0 ? 'no process left' : `${now.length} left`}` };
  return undefined;
}

const pidOf = (id: string) => Number(id.slice(0, id.indexOf(':')));
