import type { AlertsConfig } from './config.js';
import { promDuration, seconds } from './rule.js';

// The leak shape shared by every *Leak alert (see AlertsConfig.leak): growth
// that the minimum keeps, window after window, above the recent peak, by at
// least a floor. It needs no limit, so it pages whatever RLIMIT_NOFILE
// or cgroup a container has.

/** How far back a leak alert looks: `windows` windows (the span its growth is measured over). */
export function leakSpan(c: AlertsConfig): string {
  return promDuration(c.leak.windows * seconds(c.leak.window));
}

/** `min_over_time(series[window] offset k*window)`: the quietest moment of the k-th window back. */
export function windowMin(c: AlertsConfig, series: string, k: number): string {
  const w = c.leak.window;
  return k === 0 ? `min_over_time(${series}[${w}])` : `min_over_time(${series}[${w}] offset ${promDuration(k * seconds(w))})`;
}

/** The minimum of each of the last `steps` windows is above the one before (needs steps+1 windows of history). */
export function minimumRising(c: AlertsConfig, series: string, steps: number): string[] {
  return Array.from({ length: steps }, (_, k) => `${windowMin(c, series, k)} > ${windowMin(c, series, k + 1)}`);
}

/**
 * A leak of `series` (a gauge whose label set names one thing: a target, a
 * path, a peer): its value is the growth of the minimum over the last
 * `windows` windows (leakSpan).
 */
export function leakExpr(c: AlertsConfig, series: string, minGrowth: number): string {
  const n = c.leak.windows;
  const spanSeconds = n * seconds(c.leak.window);
  const now = windowMin(c, series, 0);
  const first = windowMin(c, series, n);
  const targetLabels = [...c.instanceLabels, 'target'].join(', ');
  const sk = c.selectors.sockeye;
  // Above the highest value of the lookback before the windows: the second
  // day of a daily cycle climbs back to yesterday's peak, a leak goes past it.
  // After a process was replaced the old peak says nothing (a leak that
  // restarts the app would be hidden under its own last peak), so then the
  // first window's minimum is the bar.
  const bar = `(
    max_over_time(${series}[${c.leak.lookback}] offset ${promDuration(spanSeconds)})
    unless on (${targetLabels}) increase(sockeye_process_restarts_total{${sk}}[${c.leak.lookback}]) > 0
  or
    ${first}
  )`;
  return [
    `${now} - ${first} >= ${minGrowth}`,
    ...minimumRising(c, series, n),
    `${now} > ${bar}`,
  ].join('\nand ');
}
