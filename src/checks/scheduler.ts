import type { FastifyBaseLogger } from 'fastify';
import { createTask, schedule, type ScheduledTask } from 'node-cron';
import { Gauge, type Registry } from 'prom-client';
import type { CheckConfig } from '../config/checks.js';
import type { CheckRunner } from './runner.js';

/** The scheduler loop's own cron: every second. */
export const TICK_EXPRESSION = '* * * * * *';
// Ticks land a few ms after the second; a check due "at" the second runs on it.
const DUE_SLACK_MS = 500;

interface Slot {
  check: CheckConfig;
  /** Unix ms when the check is next due. */
  nextDue: number;
  /** For cron checks: an unstarted node-cron task used only to compute the next run. */
  cron: ScheduledTask | undefined;
  running: Promise<unknown> | undefined;
}

/**
 * One node-cron task ticks every second; each tick stamps the scheduler
 * heartbeat and starts the checks that are due. A stalled event loop, a lost
 * timer or a dead task therefore shows as a stale heartbeat, never as a
 * frozen "all good".
 */
export class Scheduler {
  private readonly slots: Slot[];
  private readonly heartbeat: Gauge;
  private task: ScheduledTask | undefined;
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
    this.slots = checks.map((check) => ({
      check,
      nextDue: 0,
      cron: check.schedule !== undefined ? createTask(check.schedule, () => undefined) : undefined,
      running: undefined,
    }));
  }

  start(now = Date.now()): void {
    if (this.task) return;
    this.startedAt = now;
    for (const slot of this.slots) slot.nextDue = slot.cron ? this.nextCron(slot, now) : now;
    // unref: the scheduler alone never keeps the process alive.
    this.task = schedule(TICK_EXPRESSION, () => this.tick(Date.now()), { name: 'sockeye-scheduler', unref: true, suppressMissedWarning: true });
    this.tick(now);
  }

  /** One tick of the loop. Public so tests can drive it without waiting. */
  tick(now: number): void {
    if (now < this.stalledUntil) return;
    this.lastTickAt = now;
    this.heartbeat.set(now / 1000);
    for (const slot of this.slots) {
      if (now + DUE_SLACK_MS < slot.nextDue) continue;
      slot.nextDue = slot.cron ? this.nextCron(slot, now) : Math.max(slot.nextDue + slot.check.intervalMs, now + slot.check.intervalMs - DUE_SLACK_MS);
      if (slot.running) {
        // Never stacked on its own previous run: counted instead.
        this.runner.overruns.inc({ check: slot.check.name });
        this.log.warn({ check: slot.check.name }, 'check still running when due again; skipped this run');
        continue;
      }
      slot.running = this.runner.run(slot.check).finally(() => (slot.running = undefined));
    }
  }

  private nextCron(slot: Slot, now: number): number {
    const next = slot.cron!.getNextRun();
    return next ? Math.max(next.getTime(), now + 1) : Infinity;
  }

  /** Test hook: no ticks, no heartbeat and no check starts for a while. */
  stall(ms: number, now = Date.now()): void {
    this.stalledUntil = now + ms;
    this.log.warn({ seconds: ms / 1000 }, 'scheduler stalled on request (test hook)');
  }

  get running(): boolean {
    return this.task !== undefined;
  }

  async stop(): Promise<void> {
    const task = this.task;
    this.task = undefined;
    if (task) await task.destroy();
    for (const slot of this.slots) await slot.cron?.destroy();
    this.runner.abortAll();
    await Promise.all(this.slots.map((s) => s.running));
  }
}
