import { formatDuration, parseDuration } from '../src/config/duration.js';
import type { AlertsConfig } from './config.js';

// The shapes of a Prometheus rule file, and the one place an alert gets its
// severity label, its runbook link and its (possibly shortened) `for:`.

export type Severity = 'critical' | 'warning' | 'info' | 'none';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels: Record<string, string>;
  annotations: { summary: string; description: string; runbook_url: string; snapshots?: string };
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

/** What a group module writes: everything but the generated parts. */
export interface AlertSpec {
  alert: string;
  expr: string;
  /** A Prometheus duration; "0s" means fire on the first evaluation. */
  for: string;
  severity: Severity;
  summary: string;
  description: string;
}

export interface BuildOptions {
  /** Maps each alert's `for:` in seconds to the one to use (the incident lab runs at 1s scale). */
  shortenFor?: (forSeconds: number) => number;
}

/** Seconds in a config duration; a typo in the config is a bug, so it throws. */
export function seconds(text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new Error(`alerts config: expected a duration such as "5m", got ${JSON.stringify(text)}`);
  return ms / 1000;
}

/** A duration for PromQL: config durations are already in its syntax, but halves and sums need formatting. */
export function promDuration(secs: number): string {
  return formatDuration(Math.round(secs * 1000));
}

export function runbookUrl(config: AlertsConfig, alert: string): string {
  return `${config.runbookBase}/docs/runbooks.md#${alert.toLowerCase()}`;
}

/**
 * The link to a target's incident snapshots on its sockeye's status page.
 * Prometheus cannot read sockeye's config, so sockeye exports its
 * externalUrl as sockeye_external_url_info{url} and the annotation looks it
 * up for the alert's own job and instance when the alert fires. Without that
 * series (no externalUrl configured) the annotation is empty.
 */
export const SNAPSHOTS_ANNOTATION =
  '{{ with printf "sockeye_external_url_info{job=%q, instance=%q}" $labels.job $labels.instance | query }}' +
  '{{ with first . }}{{ .Labels.url }}#snapshots?target={{ $labels.target | urlquery }}{{ end }}{{ end }}';

export function buildAlert(spec: AlertSpec, config: AlertsConfig, options: BuildOptions = {}, perTarget = false): AlertRule {
  let forSeconds = seconds(spec.for);
  if (options.shortenFor && forSeconds > 0) forSeconds = Math.max(0, options.shortenFor(forSeconds));
  const rule: AlertRule = {
    alert: spec.alert,
    expr: spec.expr.trim(),
    labels: { severity: spec.severity },
    annotations: { summary: spec.summary, description: spec.description, runbook_url: runbookUrl(config, spec.alert), ...(perTarget ? { snapshots: SNAPSHOTS_ANNOTATION } : {}) },
  };
  if (forSeconds > 0) rule.for = promDuration(forSeconds);
  // Key order as people write rule files: alert, expr, for, labels, annotations.
  return { alert: rule.alert, expr: rule.expr, ...(rule.for ? { for: rule.for } : {}), labels: rule.labels, annotations: rule.annotations };
}

/** A recording rule: a new series named level:metric:operations. */
export interface RecordingRule {
  record: string;
  expr: string;
}

export interface RecordingGroup {
  name: string;
  rules: RecordingRule[];
}

/** One group of recording rules, given the config. */
export interface RecordingGroupSpec {
  name: string;
  records(config: AlertsConfig): RecordingRule[];
}

/** One rule group: a name and the alerts it holds, given the config. */
export interface GroupSpec {
  name: string;
  /** Every alert of the group carries a `target` label: its annotations link to that target's snapshots. */
  perTarget?: boolean;
  alerts(config: AlertsConfig): AlertSpec[];
}
