import * as common from '@grafana/grafana-foundation-sdk/common';
import * as dashboard from '@grafana/grafana-foundation-sdk/dashboard';
import {
  booleanMapping,
  colourSeries,
  datasourceVariable,
  labelVariable,
  limitSeries,
  matchers,
  scopeVariables,
  sockeyeDashboard,
  stateTimeline,
  statValue,
  thresholds,
  timeSeries,
  topList,
  WHERE,
  SCOPE,
} from './common.js';

// "sockeye / Checks & heartbeats": are the checks running and passing, are
// the cron jobs pinging, and is sockeye itself healthy enough to tell us
// (incident 3: the checker that stopped checking).

const JI = matchers([...SCOPE]);
const C = matchers([...SCOPE, 'check']);
const H = matchers([...SCOPE, 'heartbeat']);

export function checksDashboard(): dashboard.Dashboard {
  return sockeyeDashboard('sockeye / Checks & heartbeats', 'sockeye-checks', 'Scheduled health checks, external heartbeats, and the health of sockeye itself.')
    .variables([
      datasourceVariable(),
      ...scopeVariables('sockeye_scheduler_heartbeat_timestamp_seconds'),
      labelVariable('check', 'Check', `label_values(sockeye_check_interval_seconds{${JI}}, check)`),
      labelVariable('heartbeat', 'Heartbeat', `label_values(sockeye_heartbeat_grace_seconds{${JI}}, heartbeat)`),
    ])

    .withRow(new dashboard.RowBuilder('Checks'))
    .withPanel(
      stateTimeline({
        title: 'Check status',
        description: 'Whether each check\'s last run passed, over time. Gaps mean sockeye was not scraped.',
        queries: [{ expr: `sockeye_check_success{${C}}`, legend: '{{check}} ({{type}})' }],
        width: 18,
        configure: (p) => p.mappings(booleanMapping('pass', 'fail')).thresholds(thresholds([[null, 'red'], [1, 'green']])),
      }),
    )
    .withPanel(
      statValue({
        title: 'Failing checks',
        description: 'Checks whose last run failed, now.',
        queries: [{ expr: `count(sockeye_check_success{${C}} == 0) or vector(0)`, legend: 'failing' }],
        height: 8,
        configure: (p) => p.decimals(0).thresholds(thresholds([[null, 'green'], [1, 'red']])),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Check duration',
        description: 'How long each check\'s last run took. Creeping toward the timeout comes before failing on it.',
        queries: [{ expr: `sockeye_check_duration_seconds{${C}}`, legend: '{{check}}' }],
        configure: (p) => p.unit('s').min(0),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'HTTP check phases',
        description:
          "Where each http check's last run spent its time, stacked: resolve (DNS lookup), connect (TCP), tls (handshake), processing (connection ready to the first response byte: the app's think time), transfer (the body). Tells a slow resolver or network from a slow app.",
        queries: [{ expr: `sockeye_check_http_duration_seconds{${C}}`, legend: '{{check}} {{phase}}' }],
        configure: (p) => p.unit('s').min(0).fillOpacity(60).stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'DNS answer records',
        description: 'Records in the answer section of the last response to each dns check. A shrinking count is a pool losing members before any check fails.',
        queries: [{ expr: `sockeye_check_dns_answer_records{${C}}`, legend: '{{check}}' }],
        configure: (p) => p.decimals(0).min(0),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Time since last run vs interval',
        description: 'Seconds since each check last finished, against its configured interval. Age climbing past the interval means the scheduler stopped running it.',
        queries: [
          { expr: `time() - sockeye_check_last_run_timestamp_seconds{${C}}`, legend: '{{check}} age' },
          { expr: `sockeye_check_interval_seconds{${C}}`, legend: '{{check}} interval' },
        ],
        configure: (p) => p.unit('s').min(0).withOverride(limitSeries('interval')),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Time since last success',
        description: 'Seconds since each check last passed.',
        queries: [{ expr: `time() - sockeye_check_last_success_timestamp_seconds{${C}}`, legend: '{{check}}' }],
        configure: (p) => p.unit('s').min(0),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Failures by reason',
        description: 'Failed runs per interval by reason: timeout, refused, reset, dns, tls, status, body, expect (tcp), rcode and answer (dns), not_serving (grpc).',
        queries: [{ expr: `sum by (${WHERE}, check, reason) (increase(sockeye_check_failures_total{${C}}[$__rate_interval]))`, legend: '{{check}} {{reason}}' }],
        configure: (p) => p.decimals(0).min(0).drawStyle(common.GraphDrawStyle.Bars).fillOpacity(80).stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Runs by result',
        description: 'Check runs per second by result.',
        queries: [{ expr: `sum by (${WHERE}, check, result) (rate(sockeye_check_runs_total{${C}}[$__rate_interval]))`, legend: '{{check}} {{result}}' }],
        width: 6,
        configure: (p) => p.unit('ops').min(0),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Overruns',
        description: 'Runs skipped because the previous run of the check was still going: the check takes longer than its interval.',
        queries: [{ expr: `sum by (${WHERE}, check) (increase(sockeye_check_overruns_total{${C}}[$__rate_interval]))`, legend: '{{check}}' }],
        width: 6,
        configure: (p) => p.decimals(0).min(0).drawStyle(common.GraphDrawStyle.Bars).fillOpacity(80),
      }),
    )
    .withPanel(
      topList({
        title: 'TLS certificate expiry',
        description: 'Time left until the earliest certificate seen by each TLS-checking check expires.',
        queries: [{ expr: `sockeye_check_tls_cert_expiry_timestamp_seconds{${C}} - time()`, legend: '{{check}}' }],
        configure: (p) => p.unit('dtdurations').thresholds(thresholds([[null, 'red'], [7 * 86400, 'orange'], [21 * 86400, 'green']])),
      }),
    )

    .withRow(new dashboard.RowBuilder('Heartbeats'))
    .withPanel(
      timeSeries({
        title: 'Time left before each heartbeat is late',
        description:
          'Seconds until each heartbeat\'s deadline: its next expected ping (from its period or cron schedule) plus grace, or grace after a start that has not finished. Below zero it is late and HeartbeatMissed (or HeartbeatNeverPinged) fires; a ping moves the deadline on.',
        queries: [{ expr: `sockeye_heartbeat_deadline_timestamp_seconds{${H}} - time()`, legend: '{{heartbeat}}' }],
        configure: (p) => p.unit('s').thresholds(thresholds([[null, 'red'], [0, 'green']])),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Last ping by kind',
        description: 'Seconds since the last ping of each kind: start, success, fail, log. A recent "fail" is the job reporting its own failure.',
        queries: [{ expr: `time() - sockeye_heartbeat_last_ping_timestamp_seconds{${H}}`, legend: '{{heartbeat}} {{kind}}' }],
        configure: (p) => p.unit('s').min(0).withOverride(colourSeries('.* fail$', 'red')),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Pings',
        description: 'Pings received per interval, by kind.',
        queries: [{ expr: `sum by (${WHERE}, heartbeat, kind) (increase(sockeye_heartbeat_pings_total{${H}}[$__rate_interval]))`, legend: '{{heartbeat}} {{kind}}' }],
        configure: (p) => p.decimals(0).min(0).drawStyle(common.GraphDrawStyle.Bars).fillOpacity(80),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Job duration',
        description: 'Time from the "start" ping to the success or failure ping of the same run (paired by ?rid= when given), for each heartbeat\'s last run.',
        queries: [{ expr: `sockeye_heartbeat_last_duration_seconds{${H}}`, legend: '{{heartbeat}}' }],
        configure: (p) => p.unit('s').min(0),
      }),
    )

    .withRow(new dashboard.RowBuilder('sockeye itself'))
    .withPanel(
      timeSeries({
        title: 'Scheduler heartbeat age',
        description: 'Seconds since sockeye\'s scheduler loop last ticked. It should stay near the tick interval; growth means checks stopped running even though /metrics answers.',
        queries: [{ expr: `time() - sockeye_scheduler_heartbeat_timestamp_seconds{${JI}}`, legend: '{{instance}}' }],
        width: 6,
        configure: (p) => p.unit('s').min(0),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'sockeye open fds vs limit',
        description: 'sockeye\'s own file descriptors (prom-client process metrics). A checker that leaks sockets stops checking when it hits its limit.',
        queries: [
          { expr: `process_open_fds{${JI}}`, legend: '{{instance}} open' },
          { expr: `process_max_fds{${JI}}`, legend: '{{instance}} limit' },
        ],
        width: 6,
        configure: (p) => p.decimals(0).min(0).withOverride(limitSeries('limit')),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'sockeye event loop lag',
        description: 'Event loop lag of sockeye\'s Node process: mean and p99. High lag delays checks and scrapes alike.',
        queries: [
          { expr: `nodejs_eventloop_lag_seconds{${JI}}`, legend: '{{instance}} lag' },
          { expr: `nodejs_eventloop_lag_p99_seconds{${JI}}`, legend: '{{instance}} p99' },
        ],
        width: 6,
        configure: (p) => p.unit('s').min(0),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'sockeye memory',
        description: 'Resident memory and V8 heap of sockeye itself.',
        queries: [
          { expr: `process_resident_memory_bytes{${JI}}`, legend: '{{instance}} resident' },
          { expr: `sum by (${WHERE}) (nodejs_heap_space_size_used_bytes{${JI}})`, legend: '{{instance}} heap used' },
        ],
        width: 6,
        configure: (p) => p.unit('bytes').min(0),
      }),
    )
    .build();
}
