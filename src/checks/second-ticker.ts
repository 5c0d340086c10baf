/**
 * Calls `fn` once per wall-clock second, just after the second turns, on one
 * unref'd timer re-armed after each call (it never keeps the process alive).
 *
 * The scheduler's own tick. It was a node-cron '* * * * * *' task, which
 * matches every tick through Intl.DateTimeFormat: that loads ICU's data and
 * cost sockeye ~10 MiB of resident memory for a job a timer does. node-cron
 * stays for the checks that have a cron `schedule:`.
 */
export class SecondTicker {
  private timer: NodeJS.Timeout | undefined;
  private lastSecond = -1;

  constructor(private readonly fn: (now: number) => void) {}

  start(): void {
    if (!this.timer) this.arm(Date.now());
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  private arm(now: number): void {
    // 1 ms past the second: timers run on a ms-rounded monotonic clock and may
    // fire up to a ms before the wall-clock second they were aimed at.
    this.timer = setTimeout(() => this.fire(), 1001 - (now % 1000)).unref();
  }

  private fire(): void {
    const now = Date.now();
    // A timer late by a whole second (a blocked loop) ticks once, not once per missed second.
    const second = Math.floor(now / 1000);
    this.arm(now);
    if (second === this.lastSecond) return;
    this.lastSecond = second;
    this.fn(now);
  }
}
