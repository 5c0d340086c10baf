import type { GroupSpec } from '../rule.js';
import { seconds } from '../rule.js';

// sockeye watching itself: scraped at all, and its scheduler loop still ticking.
export const selfGroup: GroupSpec = {
  name: 'sockeye.self',
  alerts: (c) => {
    const sk = c.selectors.sockeye;
    return [
      {
        alert: 'SockeyeDown',
        expr: `up{${sk}} == 0`,
        for: c.for.sockeyeDown,
        severity: 'critical',
        summary: 'sockeye {{ $labels.instance }} is down.',
        description:
          'Prometheus cannot scrape sockeye at {{ $labels.instance }} (job {{ $labels.job }}): the processes, checks and heartbeats it watches are not monitored until it is back.',
      },
      {
        alert: 'SockeyeAbsent',
        // absent() carries the selector's equality labels (job="sockeye").
        expr: `absent(up{${sk}})`,
        for: c.for.sockeyeAbsent,
        severity: 'critical',
        summary: 'No sockeye is being scraped.',
        description:
          'Prometheus has no scrape target for the sockeye job ({{ $labels.job }}): service discovery or the scrape config lost it, so nothing sockeye watches can alert.',
      },
      {
        alert: 'SockeyeSchedulerStalled',
        // `up == 1`: a sockeye that stopped answering is SockeyeDown, not a
        // stalled scheduler reading its last, stale timestamp.
        expr: `
time() - sockeye_scheduler_heartbeat_timestamp_seconds{${sk}} > ${seconds(c.schedulerStallAfter)}
and on (${c.instanceLabels.join(', ')}) up{${sk}} == 1`,
        for: c.for.schedulerStalled,
        severity: 'critical',
        summary: 'sockeye {{ $labels.instance }} answers scrapes but its scheduler has stopped.',
        description:
          'The scheduler loop of sockeye at {{ $labels.instance }} last ticked {{ $value | humanizeDuration }} ago: no check is running, however healthy /metrics looks.',
      },
      {
        alert: 'SockeyeConfigReloadFailed',
        // As kube-prometheus' PrometheusBadConfig: a refused reload leaves the old
        // config running, so nothing is unwatched, but the change is not in force.
        expr: `max_over_time(sockeye_config_last_reload_successful{${sk}}[5m]) == 0`,
        for: c.for.configReloadFailed,
        severity: 'warning',
        summary: 'sockeye {{ $labels.instance }} refused its new config.',
        description:
          'The last config reload of sockeye at {{ $labels.instance }} failed: it still runs on the previous config, so the targets, checks and heartbeats of the new file are not in force. Its log names each key that is wrong.',
      },
    ];
  },
};
