// Every threshold, window and `for:` of the shipped alerts, in one place
// (kubernetes-mixin style). Per-object expectations — check interval,
// heartbeat period and grace, expected process count — are not here: they come
// from sockeye's own metrics, so one rule covers every check, heartbeat and
// target. Durations are Prometheus-style strings ("90s", "15m", "4h").

export interface AlertsConfig {
  /** Where docs/runbooks.md lives; runbook_url = `${runbookBase}/docs/runbooks.md#<alertname lowercase>`. */
  runbookBase: string;
  /** Label selectors of the scrape jobs the rules look at. */
  selectors: { sockeye: string; prometheus: string; alertmanager: string };
  /** How long each alert's condition must hold before it fires. */
  for: {
    sockeyeDown: string;
    sockeyeAbsent: string;
    schedulerStalled: string;
    configReloadFailed: string;
    checkNotRunning: string;
    checkFailing: string;
    tlsCertificateExpiring: string;
    heartbeatMissed: string;
    heartbeatNeverPinged: string;
    heartbeatFailed: string;
    targetMissing: string;
    targetTooFewProcesses: string;
    targetRestarting: string;
    targetUnreadable: string;
    fdUsageHigh: string;
    fdExhaustionPredicted: string;
    closeWaitPileUp: string;
    manySocketsToOnePeer: string;
    listenQueueOverflowing: string;
    memoryLimitExhaustionPredicted: string;
    prometheusRuleEvaluationFailures: string;
    prometheusNotConnectedToAlertmanagers: string;
    prometheusErrorSendingAlerts: string;
    alertmanagerNotificationsFailing: string;
  };
  /** The scheduler loop ticks about once a second; this much silence means it is stuck. */
  schedulerStallAfter: string;
  checkNotRunning: {
    /** A check is "not running" when its last run is older than this many intervals… */
    intervals: number;
    /** …and older than this, so a 10s check is not paged on after one slow run. */
    atLeast: string;
  };
  tlsCertificate: { warningWithin: string; criticalWithin: string };
  restarts: { window: string; atLeast: number };
  fdUsage: { warningRatio: number; criticalRatio: number };
  /** predict_linear(fd usage ratio[window], horizon) >= 1, only above minUsageRatio and with history. */
  fdExhaustion: { window: string; horizon: string; minUsageRatio: number };
  closeWait: { atLeast: number };
  peerSockets: { atLeast: number };
  listenQueue: { ratio: number };
  /** predict_linear(RSS[window], horizon) >= cgroup limit, only above minUsageRatio and with history. */
  memoryExhaustion: { window: string; horizon: string; minUsageRatio: number };
  pipeline: {
    /** Prometheus → Alertmanager errors per alert sent, and Alertmanager failed notifications per attempt. */
    errorRatio: number;
    window: string;
  };
}

export const defaultAlertsConfig: AlertsConfig = {
  runbookBase: 'https://github.com/sockeye-dev/sockeye/blob/main',
  selectors: { sockeye: 'job="sockeye"', prometheus: 'job="prometheus"', alertmanager: 'job="alertmanager"' },
  for: {
    sockeyeDown: '2m',
    sockeyeAbsent: '5m',
    schedulerStalled: '1m',
    configReloadFailed: '10m',
    checkNotRunning: '2m',
    checkFailing: '2m',
    tlsCertificateExpiring: '10m',
    heartbeatMissed: '1m',
    heartbeatNeverPinged: '1m',
    heartbeatFailed: '0s',
    targetMissing: '2m',
    targetTooFewProcesses: '5m',
    targetRestarting: '0s',
    targetUnreadable: '10m',
    fdUsageHigh: '5m',
    fdExhaustionPredicted: '15m',
    closeWaitPileUp: '10m',
    manySocketsToOnePeer: '15m',
    listenQueueOverflowing: '5m',
    memoryLimitExhaustionPredicted: '15m',
    prometheusRuleEvaluationFailures: '15m',
    prometheusNotConnectedToAlertmanagers: '10m',
    prometheusErrorSendingAlerts: '10m',
    alertmanagerNotificationsFailing: '10m',
  },
  schedulerStallAfter: '1m',
  checkNotRunning: { intervals: 3, atLeast: '2m' },
  tlsCertificate: { warningWithin: '14d', criticalWithin: '3d' },
  restarts: { window: '15m', atLeast: 3 },
  fdUsage: { warningRatio: 0.8, criticalRatio: 0.95 },
  fdExhaustion: { window: '1h', horizon: '4h', minUsageRatio: 0.4 },
  closeWait: { atLeast: 50 },
  peerSockets: { atLeast: 200 },
  listenQueue: { ratio: 0.8 },
  memoryExhaustion: { window: '6h', horizon: '24h', minUsageRatio: 0.5 },
  pipeline: { errorRatio: 0.01, window: '5m' },
};

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

/** The defaults with some values replaced (the incident lab uses second-scale windows). */
export function alertsConfig(overrides: DeepPartial<AlertsConfig> = {}): AlertsConfig {
  return merge(defaultAlertsConfig, overrides);
}

function merge<T>(base: T, over: DeepPartial<T>): T {
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(over as Record<string, unknown>)) {
    if (value === undefined) continue;
    const current = out[key];
    out[key] =
      value !== null && typeof value === 'object' && current !== null && typeof current === 'object'
        ? merge(current, value as DeepPartial<typeof current>)
        : value;
  }
  return out as T;
}
