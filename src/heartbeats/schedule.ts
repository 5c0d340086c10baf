import { createTask, type ScheduledTask } from 'node-cron';

/**
 * When a cron heartbeat is next expected to ping, computed by node-cron in the
 * schedule's time zone. node-cron only counts from the current time, so sockeye
 * asks at the moment of the ping (or of the first start) and stores the answer.
 */
export class CronSchedule {
  private readonly task: ScheduledTask;
  private readonly wall: Intl.DateTimeFormat;

  constructor(
    readonly expression: string,
    readonly timezone: string,
  ) {
    // Never started: used only to compute run times.
    this.task = createTask(expression, () => undefined, { timezone });
    this.wall = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  }

  /** Identifies the schedule in stored state: a stored due time from another schedule is recomputed. */
  get key(): string {
    return `${this.expression} ${this.timezone}`;
  }

  /** The local wall-clock time, as sortable text. */
  private local(ms: number): string {
    return this.wall.format(ms);
  }

  /**
   * The first scheduled time after now whose local wall-clock time is later
   * than now's. When clocks go back, the repeated hour's times come twice in
   * UTC; cron runs a job once, at the first, so a ping then must not make
   * sockeye expect the second.
   */
  nextAfterNow(): number {
    const wallNow = this.local(Date.now());
    let fallback: number | undefined;
    for (const count of [2, 128]) {
      for (const run of this.task.getNextRuns(count)) {
        const t = run.getTime();
        fallback ??= t;
        if (this.local(t) > wallNow) return t;
      }
    }
    // A schedule firing every second of the repeated hour: take the next run.
    return fallback!;
  }
}
