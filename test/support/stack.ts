/**
 * The incident lab's monitoring stack, all real and all on 127.0.0.1: one or
 * more sockeye instances, Prometheus scraping them (and itself and the
 * Alertmanagers) every second with the SHIPPED rules at lab scale, one or two
 * Alertmanagers, and a webhook receiver recording what they deliver.
 *
 *   const stack = await startStack({ sockeyes: [{ name: 'main', config }] });
 *   stack.instance('main')                       // "127.0.0.1:PORT", the `instance` label
 *   await stack.webhook.waitFor({ alertname: 'SockeyeDown', labels: { instance } }, 30_000);
 *   await stack.stop();
 *
 * Alertmanager runs the shipped routing (deploy/alertmanager/alertmanager.yml);
 * its receivers are webhook paths: /pager/<am> (critical), /ticket/<am>
 * (warning), /deadmansswitch/<am> (Watchdog, repeated every
 * WATCHDOG_REPEAT_SECONDS). With `snapshotsWebhook`, the incident snapshot
 * routes and receiver the shipped config carries commented out are
 * uncommented, as a user would, and pointed at that sockeye's
 * /api/alertmanager.
 *
 *   await stack.restartSockeye('main')           // same config, port and environment
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { rulesYaml, type RulesOptions } from '../../alerts/rules.js';
import { startAlertmanager, type Alertmanager } from './alertmanager.js';
import { poll } from './poll.js';
import { startPrometheus, type Prometheus } from './prometheus.js';
import { REPO_ROOT, startSockeye, type Sockeye } from './sockeye.js';
import { startWebhook, type Webhook } from './webhook.js';

/** `for:` at lab scale: a minute becomes a second, never under 2s (two evaluations). */
export const labShortenFor = (forSeconds: number) => Math.max(2, Math.round(forSeconds / 60));

/** Windows and staleness bounds at lab scale; thresholds (ratios, counts) stay as shipped. */
export const LAB_ALERTS_CONFIG: NonNullable<RulesOptions['config']> = {
  schedulerStallAfter: '5s',
  checkNotRunning: { atLeast: '10s' },
  restarts: { window: '1m' },
  fdExhaustion: { window: '30s', horizon: '2m' },
  memoryExhaustion: { window: '30s', horizon: '5m' },
  // 10m windows and a day's lookback, a minute to the second. The growth
  // floors are counts over the windows, so they hold at this scale as shipped.
  leak: { window: '10s', lookback: '24m' },
  pipeline: { window: '20s' },
};

/**
 * A sockeye's `snapshots:` at lab scale, as LAB_ALERTS_CONFIG for the rules:
 * the growth windows and the cooldown a minute to the second, thresholds as
 * shipped (src/config/snapshots.ts).
 */
export const LAB_SNAPSHOTS_CONFIG = {
  cooldown: '15s',
  triggers: { fdGrowth: { atLeast: 100, window: '40s' }, memoryGrowth: { atLeast: '64MiB', window: '40s' } },
  // The healthy baseline after 10 healthy seconds (10m shipped), replaced after 24 (24h shipped: not within a run).
  baseline: { after: '10s', every: '24m' },
};

/** The shipped rules, generated with lab-scale `for:` and windows. */
export function labRules(): string {
  return rulesYaml({ shortenFor: labShortenFor, config: LAB_ALERTS_CONFIG });
}

export const SCRAPE_INTERVAL = '1s';
export const WATCHDOG_REPEAT_SECONDS = 2;

export interface StackSockeye {
  name: string;
  config: string | Record<string, unknown>;
  env?: Record<string, string>;
}

export interface StackOptions {
  sockeyes: StackSockeye[];
  /** A second Alertmanager ("am2"): Prometheus sends to both; stopping it is the pipeline's failure. */
  secondAlertmanager?: boolean;
  /** The sockeye (by name) whose /api/alertmanager the Alertmanagers' incident snapshot route sends to (docs/snapshots.md). */
  snapshotsWebhook?: string;
}

export interface PrometheusConfigOptions {
  /**
   * Keep this scrape job but with no targets, as when service discovery loses
   * them: Prometheus marks their series stale at once. (Removing the whole job
   * from the config writes no staleness markers: its last samples stay
   * visible for the 5m lookback, and absent() stays empty that long.)
   */
  noTargetsFor?: string;
  /** No alerting section at all (the "not connected to Alertmanager" failure). */
  withoutAlertmanagers?: boolean;
}

export interface Stack {
  webhook: Webhook;
  alertmanagers: Map<string, Alertmanager>;
  prometheus: Prometheus;
  sockeyes: Map<string, Sockeye>;
  /** The `instance` label Prometheus gives a sockeye. */
  instance(name: string): string;
  prometheusConfig(options?: PrometheusConfigOptions): Record<string, unknown>;
  /** Stops a sockeye (SIGTERM) and starts it again with the same config, environment and port (its stateDir is the config's). */
  restartSockeye(name: string): Promise<Sockeye>;
  stop(): Promise<void>;
}

export const SHIPPED_ALERTMANAGER_CONFIG = join(REPO_ROOT, 'deploy', 'alertmanager', 'alertmanager.yml');

interface RouteYaml {
  receiver?: string;
  matchers?: string[];
  group_wait?: string;
  group_interval?: string;
  repeat_interval?: string;
  routes?: RouteYaml[];
}

/**
 * The SHIPPED Alertmanager config (routing by severity, inhibitions, the dead
 * man's switch) with every receiver's URL pointed at the webhook receiver
 * (`<hook>/<receiver>/<am>`, e.g. /pager/am1, /ticket/am1, /deadmansswitch/am1)
 * and its timings at lab scale: no group wait, 1s group interval, Watchdog
 * repeated every WATCHDOG_REPEAT_SECONDS.
 */
export function labAlertmanagerConfig(hookUrl: string, am: string, snapshotsUrl?: string): Record<string, unknown> {
  const text = readFileSync(SHIPPED_ALERTMANAGER_CONFIG, 'utf8');
  const config = parse(snapshotsUrl === undefined ? text : uncommentSnapshotsRoute(text)) as {
    route: RouteYaml;
    receivers: Array<{ name: string; webhook_configs?: Array<{ url: string; http_config?: unknown }> }>;
  };
  for (const r of config.receivers) {
    for (const w of r.webhook_configs ?? []) {
      if (r.name !== SNAPSHOTS_RECEIVER) w.url = `${hookUrl}/${r.name}/${am}`;
      else {
        w.url = `${snapshotsUrl}/api/alertmanager`;
        // The lab's sockeye has no statusPage.token: no credentials to send.
        delete w.http_config;
      }
    }
  }
  const scale = (route: RouteYaml, top: boolean) => {
    if (top || route.group_wait !== undefined) route.group_wait = '0s';
    if (top || route.group_interval !== undefined) route.group_interval = '1s';
    if (route.matchers?.includes('alertname="Watchdog"')) route.repeat_interval = `${WATCHDOG_REPEAT_SECONDS}s`;
    for (const child of route.routes ?? []) scale(child, false);
  };
  scale(config.route, true);
  return config;
}

export const SNAPSHOTS_RECEIVER = 'sockeye-snapshots';

/**
 * The shipped config with its commented-out incident snapshot routes and
 * receiver uncommented, as docs/snapshots.md tells a user to: each block
 * starts with a commented `- receiver: sockeye-snapshots` or `- name:
 * sockeye-snapshots` and runs over the commented lines indented under it.
 * The shipped file has two such routes (alerts with a `target`, alerts with
 * a `check`) and one receiver.
 */
export function uncommentSnapshotsRoute(text: string): string {
  const lines = text.split('\n');
  const found = { receiver: 0, name: 0 };
  for (let i = 0; i < lines.length; i++) {
    const start = /^(\s*)# (- (receiver|name): sockeye-snapshots)$/.exec(lines[i]!);
    if (!start) continue;
    const indent = start[1]!;
    found[start[3] as keyof typeof found]++;
    lines[i] = `${indent}${start[2]}`;
    for (let j = i + 1; j < lines.length && lines[j]!.startsWith(`${indent}#   `); j++) lines[j] = `${indent}${lines[j]!.slice(indent.length + 2)}`;
  }
  if (found.receiver === 0 || found.name !== 1) throw new Error(`${SHIPPED_ALERTMANAGER_CONFIG}: expected the commented sockeye-snapshots routes and receiver, found ${found.receiver} routes and ${found.name} receivers`);
  return lines.join('\n');
}

export async function startStack(options: StackOptions): Promise<Stack> {
  const webhook = await startWebhook();
  const alertmanagers = new Map<string, Alertmanager>();
  const sockeyes = new Map<string, Sockeye>();
  let prometheus: Prometheus | undefined;

  const stop = async () => {
    await prometheus?.stop();
    await Promise.all([...sockeyes.values()].map((s) => s.stop('SIGTERM', 3000)));
    await Promise.all([...alertmanagers.values()].map((a) => a.stop()));
    await webhook.close();
  };

  try {
    for (const s of options.sockeyes) {
      sockeyes.set(s.name, await startSockeye({ config: s.config, env: s.env }));
    }
    // After the sockeyes: the snapshot route's URL needs its sockeye's port.
    const snapshotsUrl = options.snapshotsWebhook === undefined ? undefined : sockeyes.get(options.snapshotsWebhook)?.url;
    if (options.snapshotsWebhook !== undefined && snapshotsUrl === undefined) throw new Error(`snapshotsWebhook: no sockeye named ${options.snapshotsWebhook} in this stack`);
    const amNames = options.secondAlertmanager ? ['am1', 'am2'] : ['am1'];
    for (const am of amNames) alertmanagers.set(am, await startAlertmanager({ config: labAlertmanagerConfig(webhook.url, am, snapshotsUrl) }));
    const instance = (name: string) => {
      const s = sockeyes.get(name);
      if (!s) throw new Error(`no sockeye named ${name} in this stack`);
      return `127.0.0.1:${s.port}`;
    };
    const prometheusConfig = (o: PrometheusConfigOptions = {}) => {
      const amTargets = [...alertmanagers.values()].map((a) => `127.0.0.1:${a.port}`);
      const jobs = [
        // One static config per sockeye so a `sockeye` label names it in queries.
        { job_name: 'sockeye', static_configs: options.sockeyes.map((s) => ({ targets: [instance(s.name)], labels: { sockeye: s.name } })) },
        { job_name: 'prometheus', static_configs: [{ targets: [`127.0.0.1:${prometheus?.port ?? 0}`] }] },
        { job_name: 'alertmanager', static_configs: [{ targets: amTargets }] },
      ];
      return {
        global: { scrape_interval: SCRAPE_INTERVAL, scrape_timeout: SCRAPE_INTERVAL, evaluation_interval: SCRAPE_INTERVAL },
        ...(o.withoutAlertmanagers ? {} : { alerting: { alertmanagers: [{ static_configs: [{ targets: amTargets }] }] } }),
        scrape_configs: jobs.map((j) => (j.job_name === o.noTargetsFor ? { ...j, static_configs: [] } : j)),
      };
    };
    // Prometheus' own port is only known once it runs: start, then reload with the self-scrape target.
    // Firing alerts are re-sent every second (default 1m): an alert that fired
    // before the Alertmanagers were discovered, or while one was down, arrives
    // within the lab's bounds.
    // Rules are loaded only once every target has been scraped: evaluated
    // earlier, absent() would see a Prometheus with no data yet, and at lab
    // scale (SockeyeAbsent after 5s) a slow first scrape would page.
    prometheus = await startPrometheus({ config: prometheusConfig(), rules: 'groups: []\n', args: ['--rules.alert.resend-delay=1s'] });
    await prometheus.reload(prometheusConfig());
    const expected = options.sockeyes.length + alertmanagers.size + 1;
    const prom = prometheus;
    await poll(async () => (await prom.query('up == 1')).length === expected, { timeoutMs: 30_000, what: `all ${expected} scrape targets up` });
    await prometheus.reload(prometheusConfig(), labRules());
    const restartSockeye = async (name: string) => {
      const spec = options.sockeyes.find((s) => s.name === name);
      const old = sockeyes.get(name);
      if (!spec || !old) throw new Error(`no sockeye named ${name} in this stack`);
      await old.stop('SIGTERM', 5000);
      const fresh = await startSockeye({ config: spec.config, env: spec.env, port: old.port });
      sockeyes.set(name, fresh);
      return fresh;
    };
    return { webhook, alertmanagers, prometheus, sockeyes, instance, prometheusConfig, restartSockeye, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
