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
  /** Working set, or RSS where there is no memory cgroup (as the memory alerts take it). */
  memoryBytes: number | null;
}


export function sampleOf(target: TargetSnapshot, time: number): Sample {
  return { time, openFds: target.total.openFds, memoryBytes: target.total.workingSetBytes ?? target.total.residentBytes };
}

const MIB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MIB).toFixed(1)} MiB`;
const minutes = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000}m` : `${ms / 1000}s`);

/** The value now above the lowest of the samples within `windowMs` (the samples end with now's). */
function growth(samples: readonly Sample[], windowMs: number, value: (s: Sample) => number | null): { now: number; low: number } | undefined {
  const last = samples.at(-1);
  const now = last && value(last);
  if (!last || now === null || now === undefined) return undefined;
  let low = now;
  for (const s of samples) {
    const v = value(s);
    if (s.time >= last.time - windowMs && v !== null && v < low) low = v;
  }
  return { now, low };
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
      fired.push({ trigger: 'memory_growth', detail: `memory ${mib(g.low)} -> ${mib(g.now)} within ${minutes(config.memoryGrowth.window)} (+${mib(g.now - g.low)} >= ${mib(config.memoryGrowth.atLeast)})` });
    }
  }
  return fired;
}

/** The processes of a target as (pid, start time) pairs: a pid reused by a new process is a different one. */
export function processIds(target: TargetSnapshot): string[] {
  return target.processes.map((p) => `${p.pid}:${p.starttime}`);
}

/**
 * Whether processes of the target vanished (gone, none in their place) or
 * were replaced (gone, and new ones came: a restart, a recycled worker)
 * since the last collection. Only processes in `settled` count as gone: one
 * that lived a few seconds (a cron job, a health-check shell) is turnover,
 * not an incident.
 */
export function lifecycleChange(before: readonly string[], now: readonly string[], settled: ReadonlySet<string>): { kind: 'vanished' | 'restarted'; detail: string } | undefined {
  const current = new Set(now);
  const gone = before.filter((id) => !current.has(id) && settled.has(id)).map(pidOf);
  if (gone.length === 0) return undefined;
  const previous = new Set(before);
  const added = now.filter((id) => !previous.has(id)).map(pidOf);
  const pids = (list: readonly string[]) => `${list.length === 1 ? 'pid' : 'pids'} ${list.join(', ')}`;
  if (added.length > 0) return { kind: 'restarted', detail: `${pids(gone)} gone, ${pids(added)} new` };
  return { kind: 'vanished', detail: `${pids(gone)} gone, ${now.length === 0 ? 'no process left' : `${now.length} left`}` };
}

const pidOf = (id: string) => id.slice(0, id.indexOf(':'));
