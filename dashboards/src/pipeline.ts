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
  SCOPE,
} from './common.js';

// "sockeye / Alerting pipeline": meta-monitoring. Metrics nobody alerts on
// page nobody, and alerts that never reach Alertmanager page nobody either:
// this shows every hop from scrape to notification.

const JI = matchers([...SCOPE]);
const P = 'job=~"$prometheus"';
const A = 'job=~"$alertmanager"';

export function pipelineDashboard(): dashboard.Dashboard {
  return sockeyeDashboard('sockeye / Alerting pipeline', 'sockeye-pipeline', 'Meta-monitoring: is sockeye scraped, does Prometheus evaluate the rules and reach Alertmanager, does Alertmanager deliver.')
    .variables([
      datasourceVariable(),
      ...scopeVariables('sockeye_scheduler_heartbeat_timestamp_seconds'),
      labelVariable('prometheus', 'Prometheus job', 'label_values(prometheus_build_info, job)'),
      labelVariable('alertmanager', 'Alertmanager job', 'label_values(alertmanager_build_info, job)'),
    ])

    .withRow(new dashboard.RowBuilder('Up'))
    .withPanel(
      stateTimeline({
        title: 'Scrape targets up',
        description: 'Whether Prometheus could scrape sockeye, itself and Alertmanager. A sockeye that is down cannot report anything else.',
        queries: [
          { expr: `up{${JI}}`, legend: 'sockeye {{instance}}' },
          { expr: `up{${P}}`, legend: 'prometheus {{instance}}' },
          { expr: `up{${A}}`, legend: 'alertmanager {{instance}}' },
        ],
        width: 18,
        configure: (p) => p.mappings(booleanMapping('up', 'down')).thresholds(thresholds([[null, 'red'], [1, 'green']])),
      }),
    )
    .withPanel(
      statValue({
        title: 'Watchdog',
        description: 'The always-firing Watchdog alert. If it stops, the pipeline is broken somewhere; the external dead man\'s switch pages on its absence.',
        queries: [{ expr: 'count(ALERTS{alertname="Watchdog", alertstate="firing"}) or vector(0)', legend: 'Watchdog' }],
        height: 8,
        configure: (p) => p.decimals(0).mappings([{ type: dashboard.MappingType.ValueToText, options: { '0': { text: 'not firing', color: 'red', index: 0 } } }]).thresholds(thresholds([[null, 'red'], [1, 'green']])),
      }),
    )

    .withRow(new dashboard.RowBuilder('Prometheus'))
    .withPanel(
      timeSeries({
        title: 'Rule evaluation failures',
        description: 'Failed rule evaluations per interval by rule group. A failing rule never fires.',
        queries: [{ expr: `sum by (rule_group) (increase(prometheus_rule_evaluation_failures_total{${P}}[$__rate_interval]))`, legend: '{{rule_group}}' }],
        configure: (p) => p.decimals(0).min(0).drawStyle(common.GraphDrawStyle.Bars).fillOpacity(80),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Rule group duration vs interval',
        description: 'How long each rule group took to evaluate, against its interval. Longer than the interval means evaluations are skipped.',
        queries: [
          { expr: `max by (rule_group) (prometheus_rule_group_last_duration_seconds{${P}})`, legend: '{{rule_group}}' },
          { expr: `max by (rule_group) (prometheus_rule_group_interval_seconds{${P}})`, legend: '{{rule_group}} interval' },
        ],
        configure: (p) => p.unit('s').min(0).withOverride(limitSeries('interval')),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Alertmanagers discovered',
        description: 'Alertmanagers each Prometheus sends to. Zero means alerts fire into the void.',
        queries: [{ expr: `prometheus_notifications_alertmanagers_discovered{${P}}`, legend: '{{instance}}' }],
        width: 8,
        configure: (p) => p.decimals(0).min(0).thresholds(thresholds([[null, 'red'], [1, 'green']])),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Notifications sent to Alertmanager',
        description: 'Alerts sent, failed and dropped per second by Prometheus\'s notifier.',
        queries: [
          { expr: `sum by (instance) (rate(prometheus_notifications_sent_total{${P}}[$__rate_interval]))`, legend: '{{instance}} sent' },
          { expr: `sum by (instance) (rate(prometheus_notifications_errors_total{${P}}[$__rate_interval]))`, legend: '{{instance}} errors' },
          { expr: `sum by (instance) (rate(prometheus_notifications_dropped_total{${P}}[$__rate_interval]))`, legend: '{{instance}} dropped' },
        ],
        width: 8,
        configure: (p) => p.unit('ops').min(0).withOverride(colourSeries('.* (errors|dropped)$', 'red')),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Notification queue',
        description: 'Alerts waiting to be sent, against the queue capacity. A full queue drops alerts.',
        queries: [
          { expr: `prometheus_notifications_queue_length{${P}}`, legend: '{{instance}} queued' },
          { expr: `prometheus_notifications_queue_capacity{${P}}`, legend: '{{instance}} capacity' },
        ],
        width: 8,
        configure: (p) => p.decimals(0).min(0).withOverride(limitSeries('capacity')),
      }),
    )

    .withRow(new dashboard.RowBuilder('Alerts'))
    .withPanel(
      timeSeries({
        title: 'Firing alerts',
        description: 'Alerts firing in Prometheus, by name and severity.',
        queries: [{ expr: 'sum by (alertname, severity) (ALERTS{alertstate="firing"})', legend: '{{alertname}} ({{severity}})' }],
        configure: (p) => p.decimals(0).min(0).stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Alerts in Alertmanager',
        description: 'Alerts Alertmanager holds, by state: active ones are routed to receivers, suppressed ones are silenced or inhibited.',
        queries: [{ expr: `sum by (state) (alertmanager_alerts{${A}})`, legend: '{{state}}' }],
        configure: (p) => p.decimals(0).min(0),
      }),
    )

    .withRow(new dashboard.RowBuilder('Alertmanager'))
    .withPanel(
      timeSeries({
        title: 'Notifications by integration',
        description: 'Notifications Alertmanager attempted and failed per second, by integration (webhook, email, …).',
        queries: [
          { expr: `sum by (integration) (rate(alertmanager_notifications_total{${A}}[$__rate_interval]))`, legend: '{{integration}} sent' },
          { expr: `sum by (integration) (rate(alertmanager_notifications_failed_total{${A}}[$__rate_interval]))`, legend: '{{integration}} failed' },
        ],
        configure: (p) => p.unit('ops').min(0).withOverride(colourSeries('.* failed$', 'red')),
      }),
    )
    .withPanel(
      timeSeries({
        title: 'Configuration reloaded',
        description: 'Whether the last configuration reload of Prometheus and Alertmanager succeeded. A failed reload keeps running the old rules and routes.',
        queries: [
          { expr: `prometheus_config_last_reload_successful{${P}}`, legend: 'prometheus {{instance}}' },
          { expr: `alertmanager_config_last_reload_successful{${A}}`, legend: 'alertmanager {{instance}}' },
        ],
        configure: (p) => p.min(0).max(1).decimals(0).mappings(booleanMapping('ok', 'failed')),
      }),
    )
    .build();
}
