import type { GroupSpec } from '../rule.js';
import { promDuration, seconds } from '../rule.js';

// File descriptors against RLIMIT_NOFILE (incidents 1 and 3). The usage ratio
// is the worst process's own open/limit, so multi-process targets compare
// each process with its own limit rather than a sum with one limit.
export const fdsGroup: GroupSpec = {
  name: 'sockeye.fds',
  alerts: (c) => {
    const sk = c.selectors.sockeye;
    const ratio = `sockeye_process_fd_usage_ratio{${sk}}`;
    const by = 'job, instance, target';
    const description =
      'The busiest process of target {{ $labels.target }} on sockeye {{ $labels.instance }} uses {{ $value | humanizePercentage }} of its file descriptor limit; at 100% it fails to open files and accept connections.';
    const f = c.fdExhaustion;
    return [
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
and on (${by}) ${ratio} > ${f.minUsageRatio}
and on (${by}) (${ratio} offset ${promDuration(seconds(f.window) / 2)})`,
        for: c.for.fdExhaustionPredicted,
        severity: 'warning',
        summary: `Target {{ $labels.target }} will run out of file descriptors within ${f.horizon}.`,
        description: `Open file descriptors of target {{ $labels.target }} on sockeye {{ $labels.instance }} have grown over the last ${f.window}; at that rate its busiest process reaches {{ $value | humanizePercentage }} of its limit in ${f.horizon}. A leak: see which path or peer holds them.`,
      },
    ];
  },
};
