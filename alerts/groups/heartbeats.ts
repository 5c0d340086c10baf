import type { GroupSpec } from '../rule.js';

// External heartbeats (cron jobs, the app's own canary). Period and grace are
// per-heartbeat metrics, so one rule covers a 1-minute and a 24-hour job.
export const heartbeatsGroup: GroupSpec = {
  name: 'sockeye.heartbeats',
  alerts: (c) => {
    const sk = c.selectors.sockeye;
    const by = 'job, instance, heartbeat';
    const ping = (kind: string) => `sockeye_heartbeat_last_ping_timestamp_seconds{${sk}, kind="${kind}"}`;
    const lastSuccess = `max by (${by}) (${ping('success')} > 0)`;
    const allowed = `on (${by})
  max by (${by}) (sockeye_heartbeat_period_seconds{${sk}})
  + on (${by}) max by (${by}) (sockeye_heartbeat_grace_seconds{${sk}})`;
    return [
      {
        alert: 'HeartbeatMissed',
        // `up == 1`: when sockeye is down the last timestamps go stale; that is SockeyeDown.
        expr: `
time() - ${lastSuccess}
> ${allowed}
and on (job, instance) up{${sk}} == 1`,
        for: c.for.heartbeatMissed,
        severity: 'critical',
        summary: 'Heartbeat {{ $labels.heartbeat }} is overdue.',
        description:
          'Heartbeat {{ $labels.heartbeat }} on sockeye {{ $labels.instance }} last reported success {{ $value | humanizeDuration }} ago, longer than its period plus grace: the job that pings it has not run, or has not finished.',
      },
      {
        alert: 'HeartbeatNeverPinged',
        // Never pinged: the clock starts when sockeye started (the state file
        // keeps real pings across restarts, so only never-pinged ones restart the clock).
        expr: `
time() - (
    max by (${by}) (sockeye_heartbeat_period_seconds{${sk}}) * 0
    + on (job, instance) group_left max by (job, instance) (process_start_time_seconds{${sk}})
  )
> ${allowed}
unless on (${by}) ${lastSuccess}
and on (job, instance) up{${sk}} == 1`,
        for: c.for.heartbeatNeverPinged,
        severity: 'warning',
        summary: 'Heartbeat {{ $labels.heartbeat }} has never reported success.',
        description:
          'Heartbeat {{ $labels.heartbeat }} is configured on sockeye {{ $labels.instance }}, which started {{ $value | humanizeDuration }} ago, longer than the heartbeat\'s period plus grace, and it has never been pinged with success: the job is not set up to ping, pings the wrong URL, or has never run.',
      },
      {
        alert: 'HeartbeatFailed',
        expr: `
max by (${by}) (${ping('fail')} > 0)
> on (${by})
  max by (${by}) (${ping('success')} or ${ping('fail')} * 0)`,
        for: c.for.heartbeatFailed,
        severity: 'critical',
        summary: 'Heartbeat {{ $labels.heartbeat }} reported failure.',
        description:
          'The job behind heartbeat {{ $labels.heartbeat }} on sockeye {{ $labels.instance }} reported failure at {{ $value | humanizeTimestamp }} and has not reported success since.',
      },
    ];
  },
};
