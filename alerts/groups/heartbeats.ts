import type { GroupSpec } from '../rule.js';

// External heartbeats (cron jobs, the app's own canary). Period and grace are
// per-heartbeat metrics, so one rule covers a 1-minute and a 24-hour job.
// Aggregated by (job, heartbeat), across instances: with several replicas of
// a sidecar behind one Service, a ping reaches one of them, and the heartbeat
// is alive if any of them heard it. Use distinct heartbeat names per job.
export const heartbeatsGroup: GroupSpec = {
  name: 'sockeye.heartbeats',
  alerts: (c) => {
    const sk = c.selectors.sockeye;
    const by = 'job, heartbeat';
    const ping = (kind: string) => `sockeye_heartbeat_last_ping_timestamp_seconds{${sk}, kind="${kind}"}`;
    const lastSuccess = `max by (${by}) (${ping('success')} > 0)`;
    const allowed = `on (${by})
  max by (${by}) (sockeye_heartbeat_period_seconds{${sk}})
  + on (${by}) max by (${by}) (sockeye_heartbeat_grace_seconds{${sk}})`;
    // When no sockeye of the job answers, the timestamps are stale: that is SockeyeDown.
    const anyUp = `and on (job) max by (job) (up{${sk}}) == 1`;
    return [
      {
        alert: 'HeartbeatMissed',
        expr: `
time() - ${lastSuccess}
> ${allowed}
${anyUp}`,
        for: c.for.heartbeatMissed,
        severity: 'critical',
        summary: 'Heartbeat {{ $labels.heartbeat }} is overdue.',
        description:
          'Heartbeat {{ $labels.heartbeat }} (job {{ $labels.job }}) last reported success {{ $value | humanizeDuration }} ago, longer than its period plus grace: the job that pings it has not run, or has not finished.',
      },
      {
        alert: 'HeartbeatNeverPinged',
        // Never pinged: the clock starts when the oldest sockeye holding the
        // heartbeat started (the state file keeps real pings across restarts,
        // so only never-pinged heartbeats restart their clock).
        expr: `
time() - min by (${by}) (
    sockeye_heartbeat_period_seconds{${sk}} * 0
    + on (job, instance) group_left max by (job, instance) (process_start_time_seconds{${sk}})
  )
> ${allowed}
unless on (${by}) ${lastSuccess}
${anyUp}`,
        for: c.for.heartbeatNeverPinged,
        severity: 'warning',
        summary: 'Heartbeat {{ $labels.heartbeat }} has never reported success.',
        description:
          'sockeye (job {{ $labels.job }}) has been running with heartbeat {{ $labels.heartbeat }} for {{ $value | humanizeDuration }}, longer than its period plus grace, and it has never been pinged with success: the job is not set up to ping, pings the wrong URL, or has never run.',
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
          'The job behind heartbeat {{ $labels.heartbeat }} (job {{ $labels.job }}) reported failure at {{ $value | humanizeTimestamp }} and has not reported success since.',
      },
    ];
  },
};
