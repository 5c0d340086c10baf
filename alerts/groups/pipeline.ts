import type { GroupSpec } from '../rule.js';

// The alerting pipeline itself, in its own file (alerts/pipeline.rules.yml):
// kube-prometheus ships its own Watchdog and Prometheus/Alertmanager alerts,
// and a cluster running both would get every one twice. Metric names are
// those of Prometheus 2.42 and Alertmanager 0.25 (Debian bookworm), unchanged
// in later releases.
export const pipelineGroup: GroupSpec = {
  name: 'sockeye.pipeline',
  alerts: (c) => {
    const { prometheus: sp, alertmanager: sa } = c.selectors;
    const w = c.pipeline.window;
    return [
      {
        alert: 'Watchdog',
        expr: 'vector(1)',
        for: '0s',
        severity: 'none',
        summary: 'The alerting pipeline is alive (always firing).',
        description:
          'This alert always fires. Alertmanager sends it to a dead man\'s switch every minute; when it stops arriving there, Prometheus, Alertmanager or the path between them is broken and nothing else can page.',
      },
      {
        alert: 'PrometheusRuleEvaluationFailures',
        expr: `increase(prometheus_rule_evaluation_failures_total{${sp}}[${w}]) > 0`,
        for: c.for.prometheusRuleEvaluationFailures,
        severity: 'critical',
        summary: 'Prometheus {{ $labels.instance }} fails to evaluate rules of group {{ $labels.rule_group }}.',
        description: `Prometheus {{ $labels.instance }} failed {{ $value | humanize }} rule evaluations of group {{ $labels.rule_group }} in ${w}: the alerts of that group cannot fire.`,
      },
      {
        alert: 'PrometheusNotConnectedToAlertmanagers',
        expr: `max_over_time(prometheus_notifications_alertmanagers_discovered{${sp}}[${w}]) < 1`,
        for: c.for.prometheusNotConnectedToAlertmanagers,
        severity: 'critical',
        summary: 'Prometheus {{ $labels.instance }} has no Alertmanager to send alerts to.',
        description:
          'Prometheus {{ $labels.instance }} has discovered no Alertmanager: every alert it fires is dropped. Check the alerting section of its configuration and service discovery.',
      },
      {
        alert: 'PrometheusErrorSendingAlertsToAlertmanager',
        expr: `
rate(prometheus_notifications_errors_total{${sp}}[${w}])
  /
rate(prometheus_notifications_sent_total{${sp}}[${w}])
> ${c.pipeline.errorRatio}`,
        for: c.for.prometheusErrorSendingAlerts,
        severity: 'critical',
        summary: 'Prometheus {{ $labels.instance }} cannot deliver alerts to {{ $labels.alertmanager }}.',
        description:
          'Prometheus {{ $labels.instance }} got errors sending alerts to Alertmanager {{ $labels.alertmanager }} ({{ $value | humanizePercentage }} errors per alert sent): alerts are not reaching anyone through it.',
      },
      {
        alert: 'AlertmanagerNotificationsFailing',
        // Summed over the reason label Alertmanager >= 0.26 adds to failures; every other label kept.
        expr: `
sum without (reason) (rate(alertmanager_notifications_failed_total{${sa}}[${w}]))
  /
sum without (reason) (rate(alertmanager_notifications_total{${sa}}[${w}]))
> ${c.pipeline.errorRatio}`,
        for: c.for.alertmanagerNotificationsFailing,
        severity: 'warning',
        summary: 'Alertmanager {{ $labels.instance }} fails to send {{ $labels.integration }} notifications.',
        description:
          'Alertmanager {{ $labels.instance }} failed {{ $value | humanizePercentage }} of its {{ $labels.integration }} notifications: a receiver is unreachable or rejects them, and the people behind it are not being told.',
      },
    ];
  },
};
