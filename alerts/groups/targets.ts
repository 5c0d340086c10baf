import type { GroupSpec } from '../rule.js';
import { leakExpr, leakSpan } from '../leak.js';

// The watched processes: there, as many as expected, not dying, readable,
// not leaking threads. Series are compared as they are (same labels on both
// sides), so namespace and pod stay on every alert.
export const targetsGroup: GroupSpec = {
  name: 'sockeye.targets',
  perTarget: true,
  alerts: (c) => {
    const sk = c.selectors.sockeye;
    const processes = `sockeye_target_processes{${sk}}`;
    const min = `sockeye_target_processes_min{${sk}}`;
    return [
      {
        alert: 'TargetMissing',
        // The value is the expected minimum, for the description.
        expr: `${min} > 0 and ${processes} == 0`,
        for: c.for.targetMissing,
        severity: 'critical',
        summary: 'No process of target {{ $labels.target }} is running.',
        description:
          'sockeye {{ $labels.instance }} finds no process matching target {{ $labels.target }}; at least {{ $value }} expected. The application is down or its matcher no longer matches.',
      },
      {
        alert: 'TargetTooFewProcesses',
        expr: `${processes} < ${min} > 0`,
        for: c.for.targetTooFewProcesses,
        severity: 'warning',
        summary: 'Target {{ $labels.target }} runs fewer processes than expected.',
        description:
          'Only {{ $value }} process(es) of target {{ $labels.target }} are running on sockeye {{ $labels.instance }}, fewer than its configured minimum (sockeye_target_processes_min): workers are dying or not being restarted.',
      },
      {
        alert: 'TargetRestarting',
        // sockeye counts only unexpected replacements (docs/metrics.md,
        // Restarts): not a connection's child ending, not a short-lived
        // command. So every target counts, the zero-config groups too.
        expr: `increase(sockeye_process_restarts_total{${sk}}[${c.restarts.window}]) >= ${c.restarts.atLeast}`,
        for: c.for.targetRestarting,
        severity: 'warning',
        summary: 'Processes of target {{ $labels.target }} keep restarting.',
        description: `Processes of target {{ $labels.target }} on sockeye {{ $labels.instance }} died and were replaced at least {{ $value | printf "%.0f" }} times in ${c.restarts.window} (processes that live less than a scrape interval are not seen): something is killing them (crash, OOM kill, a poison request retried on the next worker).`,
      },
      {
        alert: 'TargetUnreadable',
        expr: `sockeye_target_readable{${sk}} == 0`,
        for: c.for.targetUnreadable,
        severity: 'warning',
        summary: 'sockeye cannot read /proc of target {{ $labels.target }}.',
        description:
          'sockeye {{ $labels.instance }} is denied some of /proc for target {{ $labels.target }}, so its fd, socket and memory metrics are missing or partial. It needs the same uid as the app, or CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH.',
      },
      {
        alert: 'ThreadLeak',
        expr: leakExpr(c, `sockeye_process_threads{${sk}}`, c.leak.minGrowth.threads),
        for: c.for.threadLeak,
        severity: 'warning',
        summary: 'Target {{ $labels.target }} is leaking threads.',
        description: `Threads of target {{ $labels.target }} on sockeye {{ $labels.instance }} have grown by {{ $value | printf "%.0f" }} in ${leakSpan(c)}, never fewer, above their peak of the last ${c.leak.lookback}: threads started and never joined (a pool with no bound, a timer or client per request). Each holds a stack and, at the limit, thread creation fails.`,
      },
    ];
  },
};
