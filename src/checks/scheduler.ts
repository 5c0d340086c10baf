import { createHash } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { createTask, type ScheduledTask } from 'node-cron';
import { Gauge, type Registry } from 'prom-client';
import type { CheckConfig } from '../config/checks.js';
import type { CheckRunner } from './runner.js';
import { SecondTicker } from './second-ticker.js';

/**
 * A tick arms the starts due before this far ahead. More than a second, so a
 * tick that lands a little late (ticks come a few ms after the second, later
 * on a busy loop) finds the starts of its second already armed by the one before.
 */
export const LOOKAHEAD_MS = 1500;
// First runs are spread over one second whatever the interval, so a fresh start
// has results within a second instead of waiting up to a whole interval.
const FIRST_RUN_SPREAD_MS = 1000;

/**
 * Phases are multiples of this: checks that share a slot start in one timer
 * wake-up. Measured with 500 checks a second on 2 vCPUs, starts at 1 ms
 * resolution cost ~30% of a core against ~18% for one burst a second (each
 * start its own wake-up of the process); 25 ms slots cost the same as the
 * burst and keep start jitter at a few ms.
 */
export const START_SLOT_MS = 25;

/**
 * The check's stable offset within its period (ms, 0 ≤ phase < period, a
 * multiple of START_SLOT_MS): a hash of its name, as Prometheus offsets
 * scrapes per target. Starts spread evenly over the period, and a check starts
 * at the same offset after a restart.
 */
export function checkPhaseMs(name: string, periodMs: number): number {
  const hash = createHash('sha256').update(name, 'utf8').digest().readUIntBE(0, 6);
  const phase = hash % Math.max(1, Math.floor(periodMs));
  return phase - (phase % START_SLOT_MS);
}

/** The first instant at or after t (unix ms) that is phase ms past a multiple of period since the epoch. */
export function alignedAtOrAfter(t: number, phase: number, period: number): number {
  return t + ((((phase - t) % period) + period) % period);
}

/** When an every: check first runs after start (or after missing a whole period): within a second, at its phase's sub-second part. */
export function firstDueMs(now: number, phase: number): number {
  return alignedAtOrAfter(now, phase % FIRST_RUN_SPREAD_MS, FIRST_RUN_SPREAD_MS);
}

/** The run after the one due at `due`: the first grid instant (phase past a multiple of the interval) at least one interval later. Computed from the due time, not the start time, so late starts never drift the grid. */
export function nextDueMs(due: number, phase: number, intervalMs: number): number {
  return alignedAtOrAfter(due + intervalMs, phase, intervalMs);
}

function newPlan(check: CheckConfig): Plan {
  return {
    check,
    phase: checkPhaseMs(check.name, check.intervalMs),
    nextDue: 0,
    cron: check.schedule !== undefined ? createTask(check.schedule, () => undefined) : undefined,
    armed: false,
    running: undefined,
    removed: false,
  };
}

/** Same interval and schedule: the plan (phase, next run) still holds. */
function sameTiming(a: CheckConfig, b: CheckConfig): boolean {
  return a.intervalMs === b.intervalMs && a.schedule === b.schedule;
}

interface Plan {
  check: CheckConfig;
  /** Offset within the interval (every: checks; cron checks keep their cron times). */
  phase: number;
  /** Unix ms when the check is next due. */
  nextDue: number;
  /** For cron checks: an unstarted node-cron task used only to compute the next run. */
  cron: ScheduledTask | undefined;
  /** In a tick's batch, waiting for its start time. */
  armed: boolean;
  running: Promise<unknown> | undefined;
  /** Taken out by a reload: an armed start of it is dropped. */
  removed: boolean;
}

/** The starts one tick armed, in due order, behind one timer. */
interface Batch {
  /** The tick's now (unix ms) and performance.now() at that moment: times in the batch are measured from them. */
  at: number;
  perfAt: number;
  plans: Plan[];
  next: number;
  timer: NodeJS.Timeout | undefined;
}

/**
 * One timer ticks every wall-clock second; each tick stamps the scheduler
 * heartbeat and arms the starts due in the next LOOKAHEAD_MS, each at its
 * check's phase. A stalled event loop, a lost timer or a dead task therefore
 * shows as a stale heartbeat and no starts, never as a frozen "all good".
 * Starting every due check in the tick itself made 500 checks one burst whose
 * order varied run to run; the phases spread them over the second.
 */
export class Scheduler {
  private plans: Plan[];
  private readonly heartbeat: Gauge;
  private readonly batches = new Set<Batch>();
  private ticker: SecondTicker | undefined;
  private stalledUntil = 0;
  startedAt: number | undefined;
  lastTickAt: number | undefined;

  constructor(
    checks: readonly CheckConfig[],
    private readonly runner: CheckRunner,
    registry: Registry,
    private readonly log: FastifyBaseLogger,
  ) {
    this.heartbeat = new Gauge({
      name: 'sockeye_scheduler_heartbeat_timestamp_seconds',
      help: 'Unix time of the last tick of the check scheduler loop; stale means checks are not being run.',
      registers: [registry],
    });
    this.plans = checks.map((check) => newPlan(check));
  }

  /**
   * Takes a new list of checks (config reload). A check whose interval or
   * schedule is unchanged keeps its phase and next run (a start already armed
   * stays armed), whatever else changed; one whose timing changed, or that is
   * new, is placed as at startup: first run within a second at its phase, then
   * on its grid. A removed check's armed start is dropped.
   */
  async reconfigure(checks: readonly CheckConfig[], now = Date.now()): Promise<void> {
    const old = new Map(this.plans.map((p) => [p.check.name, p]));
    const dropped: Plan[] = [];
    this.plans = checks.map((check) => {
      const plan = old.get(check.name);
      old.delete(check.name);
      if (plan && sameTiming(plan.check, check)) {
        plan.check = check;
        return plan;
      }
      if (plan) dropped.push(plan);
      const fresh = newPlan(check);
      // Never stacked on a run of the check's previous definition still going.
      if (plan?.running) {
        const carried: Promise<unknown> = plan.running.finally(() => {
          if (fresh.running === carried) fresh.running = undefined;
        });
        fresh.running = carried;
      }
      if (this.ticker) fresh.nextDue = this.rephase(fresh, now);
      return fresh;
    });
    dropped.push(...old.values());
    for (const plan of dropped) {
      plan.removed = true;
      await plan.cron?.destroy();
    }
  }

  start(now = Date.now()): void {
    if (this.ticker) return;
    this.startedAt = now;
    for (const plan of this.plans) plan.nextDue = this.rephase(plan, now);
    // unref: the scheduler alone never keeps the process alive.
    this.ticker = new SecondTicker((t) => this.tick(t));
    this.ticker.start();
    this.tick(now);
  }

  /** One tick of the loop. Public so tests can drive it without waiting. */
  tick(now: number): void {
    if (!this.ticker || now < this.stalledUntil) return;
    this.lastTickAt = now;
    this.heartbeat.set(now / 1000);
    const due: Plan[] = [];
    for (const plan of this.plans) {
      if (plan.armed) continue;
      // Missed a whole period (stalled, or the loop was blocked): back on its
      // phase from now rather than all at once.
      if (plan.nextDue < now - plan.check.intervalMs) plan.nextDue = this.rephase(plan, now);
      if (plan.nextDue < now + LOOKAHEAD_MS) {
        plan.armed = true;
        due.push(plan);
      }
    }
    if (due.length === 0) return;
    due.sort((a, b) => a.nextDue - b.nextDue);
    const batch: Batch = { at: now, perfAt: performance.now(), plans: due, next: 0, timer: undefined };
    this.batches.add(batch);
    this.arm(batch);
  }

  /** Starts armed by ticks and not started yet. */
  get pendingStarts(): number {
    let n = 0;
    for (const b of this.batches) n += b.plans.length - b.next;
    return n;
  }

  private arm(batch: Batch): void {
    const head = batch.plans[batch.next];
    if (!head) {
      this.batches.delete(batch);
      return;
    }
    // Rounded up: a start never comes before its due time (a cron check due at
    // a whole second must not run in the millisecond before it).
    const delay = Math.max(0, Math.ceil(head.nextDue - this.batchNow(batch)));
    // unref: armed starts never keep the process alive either.
    batch.timer = setTimeout(() => this.fire(batch), delay).unref();
  }

  private batchNow(batch: Batch): number {
    return batch.at + (performance.now() - batch.perfAt);
  }

  private fire(batch: Batch): void {
    // A timer may still fire a little early (libuv counts from the loop's
    // cached time): a head not due yet is simply armed again.
    const now = this.batchNow(batch);
    const horizon = batch.at + LOOKAHEAD_MS;
    while (batch.next < batch.plans.length && batch.plans[batch.next]!.nextDue <= now) {
      const plan = batch.plans[batch.next++]!;
      this.startPlanned(plan, now);
      // Due again within this tick's horizon (this start came after the next
      // tick, which then could not arm it): it stays in this batch, so a
      // skipped tick never loses a run.
      if (this.ticker && now >= this.stalledUntil && plan.nextDue > now && plan.nextDue < horizon) this.rearm(batch, plan);
    }
    this.arm(batch);
  }

  private rearm(batch: Batch, plan: Plan): void {
    plan.armed = true;
    let i = batch.plans.length;
    while (i > batch.next && batch.plans[i - 1]!.nextDue > plan.nextDue) i--;
    batch.plans.splice(i, 0, plan);
  }

  private startPlanned(plan: Plan, now: number): void {
    plan.armed = false;
    if (plan.removed) return;
    // Stalled after this start was armed: no start; a later tick re-arms it.
    if (now < this.stalledUntil) return;
    // Cron times are whole seconds; a timer firing a little early must not find this one again.
    plan.nextDue = plan.cron ? Math.max(this.nextCron(plan, now), plan.nextDue + 1000) : nextDueMs(plan.nextDue, plan.phase, plan.check.intervalMs);
    if (plan.running) {
      // Never stacked on its own previous run: counted instead.
      this.runner.overruns.inc({ check: plan.check.name });
      this.log.warn({ check: plan.check.name }, 'check still running when due again; skipped this run');
      return;
    }
    plan.running = this.runner.run(plan.check).finally(() => (plan.running = undefined));
  }

  private rephase(plan: Plan, now: number): number {
    return plan.cron ? this.nextCron(plan, now) : firstDueMs(now, plan.phase);
  }

  // Cron checks keep their cron times: no phase (a user who wrote "0 3 * * *" means 03:00:00).
  // getNextRuns, not getNextRun: the latter is null for a task never started, as ours are.
  private nextCron(plan: Plan, now: number): number {
    const next = plan.cron!.getNextRuns(1)[0];
    return next ? Math.max(next.getTime(), now + 1) : Infinity;
  }

  /** Test hook: no ticks, no heartbeat and no check starts for a while. */
  stall(ms: number, now = Date.now()): void {
    this.stalledUntil = now + ms;
    this.log.warn({ seconds: ms / 1000 }, 'scheduler stalled on request (test hook)');
  }

  get running(): boolean {
    return this.ticker !== undefined;
  }

  async stop(): Promise<void> {
    const ticker = this.ticker;
    this.ticker = undefined;
    // Armed but not started: cancelled.
    for (const batch of this.batches) clearTimeout(batch.timer);
    this.batches.clear();
    for (const plan of this.plans) plan.armed = false;
    ticker?.stop();
    for (const plan of this.plans) await plan.cron?.destroy();
    this.runner.abortAll();
    await Promise.all(this.plans.map((s) => s.running));
  }
}
