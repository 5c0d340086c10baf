import type { GroupSpec } from '../rule.js';
import { seconds } from '../rule.js';
import { leakExpr, leakSpan, minimumRising } from '../leak.js';

// A leak is memory the processes keep: their RSS, which pages without any
// limit (the monit-supervised app with no cgroup limit). The working set also
// holds active page cache, which grows with file I/O and is reclaimed under
// pressure, and it is the whole cgroup's, possibly shared: no leak signal. It
// is what the OOM killer weighs against the limit, so the limit-based
// prediction uses it where sockeye exports one (else RSS). OOM kills page when
// they happen.
export const memoryGroup: GroupSpec = {
  name: 'sockeye.memory',
  perTarget: true,
  alerts: (c) => {
    const sk = c.selectors.sockeye;
    const ws = `sockeye_process_working_set_bytes{${sk}}`;
    const rss = `sockeye_process_resident_memory_bytes{${sk}}`;
    // No limit (0 or absent): nothing to run out of.
    const limit = `(sockeye_process_memory_limit_bytes{${sk}} > 0)`;
    const m = c.memoryExhaustion;
    // Working set where exported; RSS for targets without one (the root cgroup).
    const eitherMemory = (expr: (series: string) => string) => `(
${expr(ws)}
)
or
(
${expr(rss)}
)
unless ${ws}`;
    // Still growing: two windows in a row, which a warm-up that levelled off is not.
    const predicted = (x: string) =>
      [`predict_linear(${x}[${m.window}], ${seconds(m.horizon)}) >= ${limit}`, `${x} / ${limit} > ${m.minUsageRatio}`, ...minimumRising(c, x, 2)].join('\nand ');
    return [
      {
        alert: 'MemoryLeak',
        expr: leakExpr(c, rss, c.leak.minGrowth.memoryBytes),
        for: c.for.memoryLeak,
        severity: 'warning',
        summary: 'Target {{ $labels.target }} is leaking memory.',
        description: `Resident memory of target {{ $labels.target }} on sockeye {{ $labels.instance }} has grown by {{ $value | humanize1024 }}B in ${leakSpan(c)}, even at its lowest, and is above its peak of the last ${c.leak.lookback}. With no limit the process grows until the node runs short; with one, until the OOM killer. Objects kept after their request ended.`,
      },
      {
        alert: 'MemoryLimitExhaustionPredicted',
        expr: eitherMemory(predicted),
        for: c.for.memoryLimitExhaustionPredicted,
        severity: 'warning',
        summary: `Target {{ $labels.target }} will reach its memory limit within ${m.horizon}.`,
        description: `Memory of target {{ $labels.target }} on sockeye {{ $labels.instance }} is still growing; at the rate of the last ${m.window} (or its whole life, if younger) it reaches {{ $value | humanize1024 }}B, its memory limit or more, within ${m.horizon}, and the kernel will OOM-kill it. A leak: objects kept after their request ended.`,
      },
      {
        alert: 'TargetOOMKilled',
        expr: `increase(sockeye_process_oom_kills_total{${sk}}[${c.oomKills.window}]) > 0`,
        for: c.for.targetOOMKilled,
        severity: 'warning',
        summary: 'A process of target {{ $labels.target }} was OOM-killed.',
        description: `The kernel's OOM killer killed {{ $value | printf "%.0f" }} process(es) in the cgroup of target {{ $labels.target }} on sockeye {{ $labels.instance }} in the last ${c.oomKills.window}: the cgroup reached its memory limit. Requests in flight were lost; a supervisor may have restarted it.`,
      },
    ];
  },
};
