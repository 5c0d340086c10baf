import type { GroupSpec } from '../rule.js';

// The watched processes: there, as many as expected, not dying, readable.
export const targetsGroup: GroupSpec = {
  name: 'sockeye.targets',
  alerts: (c) => {
    const sk = c.selectors.sockeye;
    const by = 'job, instance, target';
    const processes = `max by (${by}) (sockeye_target_processes{${sk}})`;
    const min = `max by (${by}) (sockeye_target_processes_min{${sk}})`;
    return [
      {
        alert: 'TargetMissing',
        // The value is the expected minimum, for the description.
        expr: `${min} > 0 and on (${by}) ${processes} == 0`,
        for: c.for.targetMissing,
        severity: 'critical',
        summary: 'No process of target {{ $labels.target }} is running.',
        description:
          'sockeye {{ $labels.instance }} finds no process matching target {{ $labels.target }}; at least {{ $value }} expected. The application is down or its matcher no longer matches.',
      },
      {
        alert: 'TargetTooFewProcesses',
        expr: `${processes} < on (${by}) ${min} > 0`,
        for: c.for.targetTooFewProcesses,
        severity: 'warning',
        summary: 'Target {{ $labels.target }} runs fewer processes than expected.',
        description:
          'Only {{ $value }} process(es) of target {{ $labels.target }} are running on sockeye {{ $labels.instance }}, fewer than its configured minimum (sockeye_target_processes_min): workers are dying or not being restarted.',
      },
      {
        alert: 'TargetRestarting',
        // Only targets expected to run (min > 0): in the zero-config default
        // (min 0) a command run every minute would count as restarting.
        expr: `
increase(sockeye_process_restarts_total{${sk}}[${c.restarts.window}]) >= ${c.restarts.atLeast}
and on (${by}) ${min} > 0`,
        for: c.for.targetRestarting,
        severity: 'warning',
        summary: 'Processes of target {{ $labels.target }} keep restarting.',
        description: `Processes of target {{ $labels.target }} on sockeye {{ $labels.instance }} went away and were replaced at least {{ $value | printf "%.0f" }} times in ${c.restarts.window} (processes that live less than a scrape interval are not seen): something is killing them (crash, OOM kill, a poison request retried on the next worker).`,
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
    ];
  },
};
