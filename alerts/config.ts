// Every threshold, window and `for:` of the shipped alerts, in one place
// (kubernetes-mixin style). Per-object expectations — check interval,
// heartbeat period and grace, expected process count — are not here: they come
// from sockeye's own metrics, so one rule covers every check, heartbeat and
// target. Durations are Prometheus-style strings ("90s", "15m", "4h").

export interface AlertsConfig {
  /** Where docs/runbooks.md lives; runbook_url = `${runbookBase}/docs/runbooks.md#<alertname lowercase>`. */
  runbookBase: string;
  /** Label selectors of the scrape jobs the rules look at. */
  selectors: { sockeye: string; prometheus: string; alertmanager: string; kubeStateMetrics: string };
  /**
   * The labels that tell one watched pod from another. Every aggregation
   * (`by`) and match (`on`) keeps them, so alerts carry the `namespace` and
   * `pod` a PodMonitor adds (a sidecar's), or the `namespace`, `pod` and
   * `container` a node agent puts on each container's series, and two
   * namespaces or two containers of one pod never merge; a label a setup
   * does not have matches as empty. Add e.g. `cluster` for a global view.
   */
  instanceLabels: string[];
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
    fdLeak: string;
    fdLeakOnPath: string;
    closeWaitPileUp: string;
    closeWaitSocketsStuck: string;
    socketLeak: string;
    peerSocketLeak: string;
    listenQueueOverflowing: string;
    memoryLeak: string;
    memoryLimitExhaustionPredicted: string;
    targetOOMKilled: string;
    threadLeak: string;
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
  /** Unexpected replacements (sockeye_process_restarts_total) in window. */
  restarts: { window: string; atLeast: number };
  fdUsage: { warningRatio: number; criticalRatio: number };
  /** predict_linear(fd usage ratio[window], horizon) >= 1, only above minUsageRatio and with history. */
  fdExhaustion: { window: string; horizon: string; minUsageRatio: number };
  closeWait: { atLeast: number };
  /** Sockets in CLOSE_WAIT for longer than sockeye's long-lived threshold (default 5m); a normal one lasts milliseconds. */
  closeWaitStuck: { atLeast: number };
  /**
   * Leaks, with no limit needed: the minimum over each `window` is above the
   * one before, `windows` times in a row (growth the quiet moments keep, so
   * load that comes and goes never counts); the minimum now is above the
   * highest value of the `lookback` before those windows (yesterday's peak
   * of a daily cycle is not a leak), unless a process of the target was
   * replaced in it; and it grew by at least `minGrowth` between the first
   * window's minimum and the last's (`windows` × `window` apart: a count, so
   * it holds at any time scale).
   */
  leak: {
    window: string;
    windows: number;
    lookback: string;
    minGrowth: { fds: number; fdsOnPath: number; sockets: number; peerSockets: number; memoryBytes: number; threads: number };
  };
  listenQueue: { ratio: number };
  /**
   * predict_linear(memory[window], horizon) >= cgroup limit, above
   * minUsageRatio of it, and still growing (two leak windows in a row), so
   * a process younger than the window can page and a warm-up cannot.
   */
  memoryExhaustion: { window: string; horizon: string; minUsageRatio: number };
  /** Any OOM kill in the target's cgroup within window. */
  oomKills: { window: string };
  pipeline: {
    /** Prometheus → Alertmanager errors per alert sent, and Alertmanager failed notifications per attempt. */
    errorRatio: number;
    window: string;
  };
}

export const defaultAlertsConfig: AlertsConfig = {
  runbookBase: 'https://github.com/sockeye-dev/sockeye/blob/main',
  selectors: { sockeye: 'job="sockeye"', prometheus: 'job="prometheus"', alertmanager: 'job="alertmanager"', kubeStateMetrics: 'job="kube-state-metrics"' },
  instanceLabels: ['namespace', 'pod', 'container', 'job', 'instance'],
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
    fdLeak: '5m',
    fdLeakOnPath: '5m',
    closeWaitPileUp: '10m',
    closeWaitSocketsStuck: '5m',
    socketLeak: '5m',
    peerSocketLeak: '5m',
    listenQueueOverflowing: '5m',
    memoryLeak: '5m',
    memoryLimitExhaustionPredicted: '15m',
    targetOOMKilled: '0s',
    threadLeak: '5m',
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
  closeWaitStuck: { atLeast: 5 },
  leak: {
    window: '10m',
    windows: 4,
    lookback: '1d',
    // Over the 40 minutes: 150 fds an hour, 60 handles, sockets or peers an hour, 6 MiB an hour, 18 threads an hour.
    minGrowth: { fds: 100, fdsOnPath: 40, sockets: 40, peerSockets: 40, memoryBytes: 4 * 1024 * 1024, threads: 12 },
  },
  listenQueue: { ratio: 0.8 },
  memoryExhaustion: { window: '6h', horizon: '24h', minUsageRatio: 0.5 },
  oomKills: { window: '15m' },
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
      // Arrays (instanceLabels) are replaced whole, not merged index by index.
      value !== null && typeof value === 'object' && !Array.isArray(value) && current !== null && typeof current === 'object'
        ? merge(current, value as DeepPartial<typeof current>)
        : value;
  }
  return out as T;
}
