import type { GroupSpec } from '../rule.js';

// External heartbeats (cron jobs, the app's own canary). sockeye exports when
// each heartbeat is late without a ping (sockeye_heartbeat_deadline_timestamp_seconds:
// the next expected ping, from its period or its cron schedule, plus grace)
// and its state, so one rule covers a 1-minute period and a weekday 02:00
// schedule alike. No rule aggregates: every label of the series (job,
// namespace, pod, instance, heartbeat) stays on the alert, so the same
// heartbeat name in two namespaces is two alerts, each naming its sockeye.
export const heartbeatsGroup: GroupSpec = {
  name: 'sockeye.heartbeats',
  alerts: (c) => {
    const sk = c.selectors.sockeye;
    const overdue = `time() - sockeye_heartbeat_deadline_timestamp_seconds{${sk}} > 0`;
    const inState = (states: string) => `ignoring (state) sockeye_heartbeat_status{${sk}, state=~"${states}"} == 1`;
    // When sockeye does not answer, its series go stale: that is SockeyeDown.
    const scraped = `and on (${c.instanceLabels.join(', ')}) up{${sk}} == 1`;
    const where = 'on sockeye {{ $labels.instance }}{{ with $labels.namespace }} in namespace {{ . }}{{ end }}';
    return [
      {
        alert: 'HeartbeatMissed',
        expr: `
(${overdue})
unless ${inState('never|failed')}
${scraped}`,
        for: c.for.heartbeatMissed,
        severity: 'critical',
        summary: 'Heartbeat {{ $labels.heartbeat }} is overdue.',
        description: `Heartbeat {{ $labels.heartbeat }} ${where} is {{ $value | humanizeDuration }} past its deadline (the expected ping from its period or schedule, plus grace, or grace after a start that never finished): the job that pings it has not run, or has not finished.`,
      },
      {
        alert: 'HeartbeatNeverPinged',
        // The clock of a never-pinged heartbeat starts when sockeye first had
        // it, kept in the state file across restarts.
        expr: `
(${overdue})
and ${inState('never')}
${scraped}`,
        for: c.for.heartbeatNeverPinged,
        severity: 'warning',
        summary: 'Heartbeat {{ $labels.heartbeat }} has never reported.',
        description: `Heartbeat {{ $labels.heartbeat }} ${where} has never reported success or failure, and its first ping is {{ $value | humanizeDuration }} past due: the job is not set up to ping, pings the wrong URL, or has never run.`,
      },
      {
        alert: 'HeartbeatFailed',
        expr: `
max without (kind) (sockeye_heartbeat_last_ping_timestamp_seconds{${sk}, kind="fail"})
and ${inState('failed')}`,
        for: c.for.heartbeatFailed,
        severity: 'critical',
        summary: 'Heartbeat {{ $labels.heartbeat }} reported failure.',
        description: `The job behind heartbeat {{ $labels.heartbeat }} ${where} reported failure at {{ $value | humanizeTimestamp }} and has not reported success since; its last pings and their output are on sockeye's status page.`,
      },
    ];
  },
};
