import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  booleanMapping,
  colourSeries,
  datasourceVariable,
  limitSeries,
  matchers,
  scopeVariables,
  sockeyeDashboard,
  stacked,
  statValue,
  thresholds,
  timeSeries,
  WHERE,
  topList,
  SCOPE,
} from './common.js';

// "sockeye / Process": what `lsof -p` and `ss -tanp` would show about the
// app's processes, over time. Laid out in the order of the incidents: fds,
// sockets, memory, then the processes themselves.

const T = matchers([...SCOPE, 'target']);
const JI = matchers([...SCOPE]);

/** Hours ahead the trend lines look; matches the predict_linear alerts' horizon. */
const TREND_HORIZON_S = 4 * 3600;

export function processDashboard(): dashboard.Dashboard {
  return sockeyeDashboard('sockeye / Process', 'sockeye-process', 'File descriptors, sockets, memory, CPU and restarts of the processes sockeye watches, read from /proc.')
    .variables([datasourceVariable(), ...scopeVariables('sockeye_target_processes', [['target', 'Target']])])

    .withRow(new dashboard.RowBuilder('Processes'))
    .withPanel(
      timeSeries({
        title: 'Processes vs expected minimum',
        description: 'Processes matching each target now, and the configured minimum the TargetMissing alerts compare against.',
        queries: [
          { expr: `sockeye_target_processes{${T}}`, legend: '{{target}}' },
          { expr: `sockeye_target_processes_min{${T}}`, legend: '{{target}} minimum' },
        ],
        width: 8,
        configure: (p) => p.decimals(0).min(0).withOverride(limitSeries('minimum')),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Restarts, starts and exits',
        description: 'Per interval: restarts (a process replaced unexpectedly: it had lived a while and a new one with the same parent and command took its place; what TargetRestarting counts), and all process starts and exits. Starts and exits without restarts are churn: sessions, short commands, scale-up.',
        queries: [
          { expr: `increase(sockeye_process_restarts_total{${T}}[$__rate_interval])`, legend: '{{target}} restarts' },
          { expr: `increase(sockeye_process_starts_total{${T}}[$__rate_interval])`, legend: '{{target}} starts' },
          { expr: `increase(sockeye_process_exits_total{${T}}[$__rate_interval])`, legend: '{{target}} exits' },
        ],
        width: 8,
        configure: (p) => p.decimals(0).min(0).drawStyle(common.GraphDrawStyle.Bars).fillOpacity(80).withOverride(colourSeries('.* restarts$', 'red')),
      }),
    )
    .withPanel(
      statValue({
        title: '/proc readable',
        description: 'Whether sockeye could read /proc/<pid>/fd of every process of the target. "denied" means it lacks the same uid or CAP_SYS_PTRACE + CAP_DAC_READ_SEARCH.',
        queries: [{ expr: `min by (${WHERE}, target) (sockeye_target_readable{${T}})`, legend: '{{target}}' }],
        width: 8,
        height: 8,
        configure: (p) => p.mappings(booleanMapping('readable', 'denied')).thresholds(thresholds([[null, 'red'], [1, 'green']])),
      }),
    )

    .withRow(new dashboard.RowBuilder('File descriptors'))
    .withPanel(
      timeSeries({
        title: 'Open fds vs limit',
        description: 'Open file descriptors, the soft RLIMIT_NOFILE, and where the last hour\'s trend would be in 4 hours. A sawtooth that resets at restarts is a leak.',
        queries: [
          { expr: `sockeye_process_open_fds{${T}}`, legend: '{{target}} open' },
          { expr: `sockeye_process_max_fds{${T}}`, legend: '{{target}} limit' },
          { expr: `predict_linear(sockeye_process_open_fds{${T}}[1h], ${TREND_HORIZON_S})`, legend: '{{target}} trend in 4h' },
        ],
        configure: (p) =>
          p
            .decimals(0)
            .min(0)
            .withOverride(limitSeries('limit'))
            .withOverride(colourSeries('.* trend in 4h$', 'orange', true)),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Fd usage of limit',
        description: 'Worst open/limit ratio among the target\'s processes. The FdUsageHigh alert fires near the red line.',
        queries: [{ expr: `sockeye_process_fd_usage_ratio{${T}}`, legend: '{{target}}' }],
        configure: (p) =>
          p
            .unit('percentunit')
            .min(0)
            .max(1)
            .thresholds(thresholds([[null, 'green'], [0.8, 'orange'], [0.9, 'red']]))
            .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed)),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Fds by type',
        description: 'Open fds by kind: regular files, sockets, pipes, eventfd/epoll and the rest. Tells a file leak from a socket leak at a glance.',
        queries: [{ expr: `sum by (${WHERE}, target, type) (sockeye_process_fds{${T}})`, legend: '{{target}} {{type}}' }],
        configure: (p) => p.decimals(0).stacking(stacked()).fillOpacity(40),
      }),
    )
    .withPanel(
      topList({
        title: 'Top paths by open handles',
        description: 'Paths with the most open handles now (top N plus "other"). One path with thousands of handles is the file leak of incident 1.',
        queries: [{ expr: `topk(10, sockeye_process_fds_by_path{${T}})`, legend: '{{target}} {{path}}' }],
        configure: (p) => p.decimals(0).min(0),
      }),
    )

    .withRow(new dashboard.RowBuilder('Sockets'))
    .withPanel(
      timeSeries({
        title: 'Sockets by state',
        description: 'The processes\' sockets by protocol and TCP state. CLOSE_WAIT (red) means the peer hung up and the app never closed its side.',
        queries: [{ expr: `sum by (${WHERE}, target, protocol, state) (sockeye_process_sockets{${T}})`, legend: '{{target}} {{protocol}} {{state}}' }],
        configure: (p) => p.decimals(0).stacking(stacked()).fillOpacity(40).withOverride(colourSeries('.*close_wait.*', 'red')),
      }),
    )
    .withPanel(
      statValue({
        title: 'CLOSE_WAIT sockets',
        description: 'Sockets in CLOSE_WAIT per target now. They only leave this state when the app calls close().',
        // "or … * 0": a healthy target shows 0, not "No data".
        queries: [{ expr: `sum by (${WHERE}, target) (sockeye_process_sockets{${matchers([...SCOPE, 'target'], ['state="close_wait"'])}}) or sum by (${WHERE}, target) (sockeye_target_processes{${T}}) * 0`, legend: '{{target}}' }],
        height: 8,
        configure: (p) => p.decimals(0).thresholds(thresholds([[null, 'green'], [10, 'orange'], [100, 'red']])),
      }),
    )
    .withPanel(
      topList({
        title: 'Top peers',
        description: 'Remote addresses with the most sockets now (top N plus "other"). Endless sockets to one IP is the leak of incident 3.',
        queries: [{ expr: `topk(10, sockeye_process_sockets_by_peer{${T}})`, legend: '{{target}} → {{peer}}' }],
        width: 6,
        configure: (p) => p.decimals(0).min(0),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Sockets by peer',
        description: 'Socket count per remote address over time.',
        queries: [{ expr: `sockeye_process_sockets_by_peer{${T}}`, legend: '{{target}} → {{peer}}' }],
        configure: (p) => p.decimals(0).min(0),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Oldest socket age by state',
        description: 'How long the oldest TCP socket in each state has been in it (a lower bound: sockeye tracks sockets from when it first sees them). A CLOSE_WAIT socket should live milliseconds: minutes mean the app never closes it (CloseWaitSocketsStuck). Long-lived ESTABLISHED sockets are normal for pools.',
        queries: [{ expr: `sockeye_process_socket_oldest_age_seconds{${T}}`, legend: '{{target}} {{state}}' }],
        configure: (p) => p.unit('s').min(0).withOverride(colourSeries('.*close_wait$', 'red')),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Long-lived sockets by state',
        description: 'TCP sockets that have stayed in their state for longer than sockeye_process_long_lived_socket_threshold_seconds (5m by default). Any in CLOSE_WAIT is a leak, whatever the load; a steady pool shows a flat ESTABLISHED line.',
        queries: [{ expr: `sockeye_process_long_lived_sockets{${T}}`, legend: '{{target}} {{state}}' }],
        configure: (p) => p.decimals(0).min(0).withOverride(colourSeries('.*close_wait$', 'red')),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Socket queues',
        description: 'Bytes waiting in the receive queue (the app is not reading) and send queue (the peer is not reading) of connected sockets.',
        queries: [{ expr: `sockeye_process_socket_queue_bytes{${T}}`, legend: '{{target}} {{queue}}' }],
        configure: (p) => p.unit('bytes').min(0),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Listen queue vs backlog',
        description: 'Connections waiting to be accepted on each listening port, against the backlog limit. At the limit, the kernel drops new connections.',
        queries: [
          { expr: `sockeye_process_listen_queue_length{${T}}`, legend: '{{target}} :{{port}}' },
          { expr: `sockeye_process_listen_queue_max{${T}}`, legend: '{{target}} :{{port}} backlog' },
        ],
        configure: (p) => p.decimals(0).min(0).withOverride(limitSeries('backlog')),
      }),
    )

    .withRow(new dashboard.RowBuilder('Memory and CPU'))
    .withPanel(
      timeSeries({
        title: 'Memory vs limit',
        description: 'Resident memory, the cgroup\'s working set (what the OOM killer and the kubelet weigh; absent in the root cgroup), the cgroup memory limit where there is one, and where the last hour\'s trend would be in 4 hours. Growth that never comes back down is a leak (incident 4).',
        queries: [
          { expr: `sockeye_process_resident_memory_bytes{${T}}`, legend: '{{target}} resident' },
          { expr: `sockeye_process_working_set_bytes{${T}}`, legend: '{{target}} working set' },
          { expr: `sockeye_process_memory_limit_bytes{${T}}`, legend: '{{target}} limit' },
          { expr: `predict_linear(sockeye_process_resident_memory_bytes{${T}}[1h], ${TREND_HORIZON_S})`, legend: '{{target}} trend in 4h' },
        ],
        configure: (p) =>
          p
            .unit('bytes')
            .min(0)
            .withOverride(limitSeries('limit'))
            .withOverride(colourSeries('.* trend in 4h$', 'orange', true)),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'CPU',
        description: 'CPU time per second (cores) in user and system mode.',
        queries: [{ expr: `sum by (${WHERE}, target, mode) (rate(sockeye_process_cpu_seconds_total{${T}}[$__rate_interval]))`, legend: '{{target}} {{mode}}' }],
        width: 6,
        configure: (p) => p.unit('short').axisLabel('cores').min(0).stacking(stacked()),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Threads',
        description: 'Threads across the target\'s processes.',
        queries: [{ expr: `sockeye_process_threads{${T}}`, legend: '{{target}}' }],
        width: 6,
        configure: (p) => p.decimals(0).min(0),
      }),
    )

    .withPanel(
      timeSeries({
        title: 'OOM kills',
        description: 'Processes the kernel\'s OOM killer killed in the target\'s memory cgroups, per interval (TargetOOMKilled).',
        queries: [{ expr: `increase(sockeye_process_oom_kills_total{${T}}[$__rate_interval])`, legend: '{{target}}' }],
        configure: (p) => p.decimals(0).min(0).drawStyle(common.GraphDrawStyle.Bars).fillOpacity(80).withOverride(colourSeries('.*', 'red')),
      }),
    )

    .withRow(new dashboard.RowBuilder('Collectors'))
    .withPanel(
      timeSeries({
        title: 'Collector duration',
        description: 'Time each sockeye collector took in the last scrape. A slow collector delays every scrape.',
        queries: [{ expr: `sockeye_scrape_collector_duration_seconds{${JI}}`, legend: '{{instance}} {{collector}}' }],
        configure: (p) => p.unit('s').min(0),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Collector success',
        description: 'Whether each collector succeeded in the last scrape; a failing collector is isolated and the others still report.',
        queries: [{ expr: `sockeye_scrape_collector_success{${JI}}`, legend: '{{instance}} {{collector}}' }],
        configure: (p) => p.min(0).max(1).decimals(0).mappings(booleanMapping('ok', 'failed')),
      }),
    )
    .build();
}
