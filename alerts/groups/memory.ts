import type { GroupSpec } from '../rule.js';
import { promDuration, seconds } from '../rule.js';

// Memory that grows for days until the cgroup OOM-kills the app (incident 4).
export const memoryGroup: GroupSpec = {
  name: 'sockeye.memory',
  alerts: (c) => {
    const sk = c.selectors.sockeye;
    const by = 'job, instance, target';
    const rss = `sockeye_process_resident_memory_bytes{${sk}}`;
    // No limit (0 or absent): nothing to run out of.
    const limit = `(sockeye_process_memory_limit_bytes{${sk}} > 0)`;
    const m = c.memoryExhaustion;
    return [
      {
        alert: 'MemoryLimitExhaustionPredicted',
        expr: `
predict_linear(${rss}[${m.window}], ${seconds(m.horizon)}) >= on (${by}) ${limit}
and on (${by}) ${rss} / on (${by}) ${limit} > ${m.minUsageRatio}
and on (${by}) (${rss} offset ${promDuration(seconds(m.window) / 2)})`,
        for: c.for.memoryLimitExhaustionPredicted,
        severity: 'warning',
        summary: `Target {{ $labels.target }} will reach its memory limit within ${m.horizon}.`,
        description: `Resident memory of target {{ $labels.target }} on sockeye {{ $labels.instance }} has grown over the last ${m.window}; at that rate it reaches {{ $value | humanize1024 }}B, its memory limit or more, within ${m.horizon}, and the kernel will OOM-kill it. A leak: objects kept after their request ended.`,
      },
    ];
  },
};
