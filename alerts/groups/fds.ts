import type { GroupSpec } from '../rule.js';
import { promDuration, seconds } from '../rule.js';
import { leakExpr, leakSpan } from '../leak.js';

// File descriptors: leaking (needs no limit; incidents 1 and 3 under the
// limits containers really have) and near RLIMIT_NOFILE. The usage ratio is
// the worst process's own open/limit, so multi-process targets compare each
// process with its own limit rather than a sum with one limit. No rule
// aggregates: every series keeps all its labels (namespace, pod, …).
export const fdsGroup: GroupSpec = {
  name: 'sockeye.fds',
  perTarget: true,
  alerts: (c) => {
    const sk = c.selectors.sockeye;
    const ratio = `sockeye_process_fd_usage_ratio{${sk}}`;
    const description =
      'The busiest process of target {{ $labels.target }} on sockeye {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its file descriptor limit; at 100% it fails to open files and accept connections.';
    const f = c.fdExhaustion;
    const span = leakSpan(c);
    return [
      {
        alert: 'FdLeak',
        expr: leakExpr(c, `sockeye_process_open_fds{${sk}}`, c.leak.minGrowth.fds),
        for: c.for.fdLeak,
        severity: 'warning',
        summary: 'Target {{ $labels.target }} is leaking file descriptors.',
        description: `Open file descriptors of target {{ $labels.target }} on sockeye {{ $labels.instance }} have grown by {{ $value | printf "%.0f" }} in ${span}, even at their quietest moments, and are above their peak of the last ${c.leak.lookback}: handles opened and never closed. However far the limit is, the process runs out in the end; sockeye_process_fds (by type) and sockeye_process_fds_by_path say which kind.`,
      },
      {
        alert: 'FdLeakOnPath',
        // "other" sums the paths outside the top N: not one path.
        expr: leakExpr(c, `sockeye_process_fds_by_path{${sk}, path!="other"}`, c.leak.minGrowth.fdsOnPath),
        for: c.for.fdLeakOnPath,
        severity: 'warning',
        summary: 'Target {{ $labels.target }} is leaking handles to {{ $labels.path }}.',
        description: `Target {{ $labels.target }} on sockeye {{ $labels.instance }} holds more and more handles to {{ $labels.path }}: {{ $value | printf "%.0f" }} more in ${span}, never fewer, above its peak of the last ${c.leak.lookback}. The code that opens this path does not close it on some path (an error, an early return, a HEAD request).`,
      },
      {
        alert: 'FdUsageHigh',
        expr: `${ratio} > ${c.fdUsage.warningRatio}`,
        for: c.for.fdUsageHigh,
        severity: 'warning',
        summary: 'Target {{ $labels.target }} is using {{ $value | humanizePercentage }} of its file descriptors.',
        description,
      },
      {
        alert: 'FdUsageHigh',
        expr: `${ratio} > ${c.fdUsage.criticalRatio}`,
        for: c.for.fdUsageHigh,
        severity: 'critical',
        summary: 'Target {{ $labels.target }} is about to run out of file descriptors.',
        description,
      },
      {
        alert: 'FdExhaustionPredicted',
        // Guards against false pages: a minimum current level, and history
        // back to half the window (the series existed then).
        expr: `
predict_linear(${ratio}[${f.window}], ${seconds(f.horizon)}) >= 1
and ${ratio} > ${f.minUsageRatio}
and (${ratio} offset ${promDuration(seconds(f.window) / 2)})`,
        for: c.for.fdExhaustionPredicted,
        severity: 'warning',
        summary: `Target {{ $labels.target }} will run out of file descriptors within ${f.horizon}.`,
        description: `Open file descriptors of target {{ $labels.target }} on sockeye {{ $labels.instance }} have grown over the last ${f.window}; at that rate its busiest process reaches {{ $value | humanizePercentage }} of its limit in ${f.horizon}. A leak: see which path or peer holds them.`,
      },
    ];
  },
};
