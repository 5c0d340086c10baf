// The example Alertmanager and Prometheus configurations: clean by their own
// tools, routing every shipped alert by severity, and inhibiting as documented
// in docs/alerts.md — checked on a real Alertmanager on 127.0.0.1.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { defaultAlertsConfig } from '../../alerts/config.js';
import { ruleGroups, rulesYaml } from '../../alerts/rules.js';
import { startAlertmanager, type Alertmanager } from '../support/alertmanager.js';
import { poll } from '../support/poll.js';
import { REPO_ROOT } from '../support/sockeye.js';
import { runTool } from '../support/tools.js';
import { startWebhook, type Webhook } from '../support/webhook.js';

const AM_FILE = join(REPO_ROOT, 'deploy', 'alertmanager', 'alertmanager.yml');
const PROM_FILE = join(REPO_ROOT, 'deploy', 'prometheus', 'prometheus.yml');
const PLACEHOLDER = 'https://REPLACE-ME.example.invalid';

const rules = ruleGroups().flatMap((g) => g.rules);
const tmp = mkdtempSync(join(tmpdir(), 'sockeye-pipeline-config-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The receiver the shipped routing sends an alert of this rule to (docs/alerts.md). */
function expectedReceiver(alert: string, severity: string): string {
  if (alert === 'Watchdog') return 'deadmansswitch';
  return { critical: 'pager', warning: 'ticket', info: 'blackhole', none: 'blackhole' }[severity] ?? 'ticket';
}

describe('deploy/alertmanager/alertmanager.yml', () => {
  it('passes amtool check-config', async () => {
    const r = await runTool('amtool', ['check-config', AM_FILE]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS');
  });

  it('amtool check-config rejects a broken copy (the check can fail)', async () => {
    const broken = join(tmp, 'broken-am.yml');
    writeFileSync(broken, readFileSync(AM_FILE, 'utf8').replace('receiver: pager', 'receiver: no-such-receiver'));
    const r = await runTool('amtool', ['check-config', broken]);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('no-such-receiver');
  });

  it('routes every shipped alert by its severity, Watchdog to the dead man\'s switch (amtool config routes test)', async () => {
    const seen = new Set<string>();
    const cases = rules.filter((r) => !seen.has(`${r.alert}/${r.labels.severity}`) && seen.add(`${r.alert}/${r.labels.severity}`));
    const results = await Promise.all(
      cases.map((r) => runTool('amtool', ['config', 'routes', 'test', `--config.file=${AM_FILE}`, `alertname=${r.alert}`, `severity=${r.labels.severity}`])),
    );
    cases.forEach((rule, i) => {
      expect(results[i]!.stdout.trim(), `${rule.alert} (${rule.labels.severity})`).toBe(expectedReceiver(rule.alert, rule.labels.severity!));
    });
    const unlabelled = await runTool('amtool', ['config', 'routes', 'test', `--config.file=${AM_FILE}`, 'alertname=SomethingElse']);
    expect(unlabelled.stdout.trim(), 'an alert without severity still reaches someone').toBe('ticket');
  });

  it('has placeholder webhook URLs only, for the operator to replace', () => {
    const config = parse(readFileSync(AM_FILE, 'utf8')) as { receivers: Array<{ name: string; webhook_configs?: Array<{ url: string }> }> };
    const urls = config.receivers.flatMap((r) => (r.webhook_configs ?? []).map((w) => w.url));
    expect(urls.length).toBe(3);
    for (const url of urls) expect(url.startsWith(`${PLACEHOLDER}/`), url).toBe(true);
  });
});

describe('the shipped routing and inhibition on a real Alertmanager', () => {
  let am: Alertmanager;
  let hook: Webhook;

  beforeAll(async () => {
    hook = await startWebhook();
    // Only the receivers' addresses change: routes, timings and inhibit rules are the shipped ones.
    am = await startAlertmanager({ config: readFileSync(AM_FILE, 'utf8').replaceAll(PLACEHOLDER, hook.url) });
  });
  afterAll(async () => {
    await am?.stop();
    await hook?.close();
  });

  const sk = (instance: string, alertname: string, severity: string, extra: Record<string, string> = {}) => ({
    alertname,
    severity,
    job: 'sockeye',
    instance,
    ...extra,
  });

  // name → [labels, expected receiver, inhibited?]
  const scenario: Record<string, [Record<string, string>, string, boolean]> = {
    watchdog: [{ alertname: 'Watchdog', severity: 'none' }, 'deadmansswitch', false],
    down: [sk('a:9855', 'SockeyeDown', 'critical'), 'pager', false],
    'check on the down sockeye': [sk('a:9855', 'CheckFailing', 'critical', { check: 'web', type: 'http' }), 'pager', true],
    'heartbeat on the down sockeye': [sk('a:9855', 'HeartbeatMissed', 'critical', { heartbeat: 'backup' }), 'pager', true],
    'check on another sockeye': [sk('b:9855', 'CheckFailing', 'critical', { check: 'web', type: 'http' }), 'pager', false],
    'fd critical': [sk('b:9855', 'FdUsageHigh', 'critical', { target: 'web' }), 'pager', false],
    'fd warning, same target': [sk('b:9855', 'FdUsageHigh', 'warning', { target: 'web' }), 'ticket', true],
    'fd warning, other target': [sk('b:9855', 'FdUsageHigh', 'warning', { target: 'db' }), 'ticket', false],
    'fd prediction, same target': [sk('b:9855', 'FdExhaustionPredicted', 'warning', { target: 'web' }), 'ticket', true],
    'tls critical': [sk('b:9855', 'TLSCertificateExpiring', 'critical', { check: 'api-cert' }), 'pager', false],
    'tls warning, same check': [sk('b:9855', 'TLSCertificateExpiring', 'warning', { check: 'api-cert' }), 'ticket', true],
    'close-wait pile-up': [sk('b:9855', 'CloseWaitPileUp', 'warning', { target: 'web', state: 'close_wait' }), 'ticket', false],
    'peer leak of the close-wait target': [sk('b:9855', 'PeerSocketLeak', 'warning', { target: 'web', peer: '10.0.0.7' }), 'ticket', true],
    'close_wait socket leak of the close-wait target': [sk('b:9855', 'SocketLeak', 'warning', { target: 'web', protocol: 'tcp', state: 'close_wait' }), 'ticket', true],
    'fd leak of the close-wait target': [sk('b:9855', 'FdLeak', 'warning', { target: 'web' }), 'ticket', true],
    'peer leak of another target': [sk('b:9855', 'PeerSocketLeak', 'warning', { target: 'db', peer: '10.0.0.8' }), 'ticket', false],
    'established socket leak of the peer-leak target': [sk('b:9855', 'SocketLeak', 'warning', { target: 'db', protocol: 'tcp', state: 'established' }), 'ticket', true],
    'established socket leak of a third target': [sk('b:9855', 'SocketLeak', 'warning', { target: 'cache', protocol: 'tcp', state: 'established' }), 'ticket', false],
    'fd leak of that target': [sk('b:9855', 'FdLeak', 'warning', { target: 'db' }), 'ticket', true],
    'fd leak of a third target': [sk('b:9855', 'FdLeak', 'warning', { target: 'cache' }), 'ticket', true],
    'fd leak of a fourth target': [sk('b:9855', 'FdLeak', 'warning', { target: 'queue' }), 'ticket', false],
    'stuck close-wait in another pod': [sk('d:9855', 'CloseWaitSocketsStuck', 'warning', { target: 'web', state: 'close_wait', namespace: 'blog', pod: 'web-0' }), 'ticket', false],
    'memory near the limit': [sk('b:9855', 'MemoryLimitExhaustionPredicted', 'warning', { target: 'web' }), 'ticket', false],
    'memory leak of the same target': [sk('b:9855', 'MemoryLeak', 'warning', { target: 'web' }), 'ticket', true],
    'oom kill': [sk('b:9855', 'TargetOOMKilled', 'warning', { target: 'web' }), 'ticket', false],
    'target missing': [sk('b:9855', 'TargetMissing', 'critical', { target: 'api' }), 'pager', false],
    'restarts of the missing target': [sk('b:9855', 'TargetRestarting', 'warning', { target: 'api' }), 'ticket', true],
    stalled: [sk('c:9855', 'SockeyeSchedulerStalled', 'critical'), 'pager', false],
    'check not running on the stalled sockeye': [sk('c:9855', 'CheckNotRunning', 'critical', { check: 'web' }), 'pager', true],
    'check failing on the stalled sockeye': [sk('c:9855', 'CheckFailing', 'critical', { check: 'web', type: 'http' }), 'pager', false],
    absent: [{ alertname: 'SockeyeAbsent', severity: 'critical', job: 'sockeye-edge' }, 'pager', false],
    'heartbeat in the absent job': [{ alertname: 'HeartbeatMissed', severity: 'critical', job: 'sockeye-edge', instance: 'e:9855', heartbeat: 'x' }, 'pager', true],
    'prometheus alert while a sockeye is down': [{ alertname: 'PrometheusRuleEvaluationFailures', severity: 'critical', job: 'prometheus', instance: 'a:9855', rule_group: 'g' }, 'pager', false],
  };

  it('sends each alert to its receiver and mutes exactly the dependent and lesser ones', async () => {
    const endsAt = new Date(Date.now() + 10 * 60_000).toISOString();
    const res = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Object.values(scenario).map(([labels]) => ({ labels, annotations: {}, endsAt }))),
      signal: AbortSignal.timeout(5000),
    });
    expect(res.status).toBe(200);

    type ApiAlert = { labels: Record<string, string>; receivers: Array<{ name: string }>; status: { state: string; inhibitedBy: string[] } };
    const key = (l: Record<string, string>) => JSON.stringify(Object.entries(l).filter(([k]) => k !== '__name__').sort());
    const expectedMuted = Object.values(scenario).filter(([, , muted]) => muted).length;
    // The inhibitor learns source alerts asynchronously: wait until the muted count settles.
    const alerts = await poll(
      async () => {
        const got = (await (await fetch(`${am.url}/api/v2/alerts`, { signal: AbortSignal.timeout(3000) })).json()) as ApiAlert[];
        return got.length === Object.keys(scenario).length && got.filter((a) => a.status.state === 'suppressed').length >= expectedMuted ? got : undefined;
      },
      { timeoutMs: 15_000, what: 'all scenario alerts in Alertmanager, the inhibited ones suppressed' },
    );
    const byKey = new Map(alerts.map((a) => [key(a.labels), a]));
    for (const [name, [labels, receiver, muted]] of Object.entries(scenario)) {
      expect([...byKey.keys()], `${name} in Alertmanager`).toContain(key(labels));
      const a = byKey.get(key(labels));
      expect(a!.receivers.map((r) => r.name), name).toEqual([receiver]);
      expect(a!.status.state, name).toBe(muted ? 'suppressed' : 'active');
      expect(a!.status.inhibitedBy.length > 0, name).toBe(muted);
    }
  });

  it('delivers Watchdog to the dead man\'s switch at once (group_wait 0s)', async () => {
    const got = await hook.waitFor({ alertname: 'Watchdog', path: '/deadmansswitch' }, 20_000);
    expect(got.delivery.receiver).toBe('deadmansswitch');
    expect(got.alert.labels.severity).toBe('none');
    // The switch receives the Watchdog and nothing else.
    const toSwitch = hook.deliveries().filter((d) => d.path === '/deadmansswitch').flatMap((d) => d.alerts.map((a) => a.labels.alertname));
    expect(new Set(toSwitch)).toEqual(new Set(['Watchdog']));
  });
});

describe('deploy/prometheus/prometheus.yml', () => {
  const config = parse(readFileSync(PROM_FILE, 'utf8')) as {
    rule_files: string[];
    scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
  };

  it('passes promtool check config, with both shipped rule files where docker-compose mounts them', async () => {
    // The rule glob points at /etc/prometheus/rules; check a copy whose glob points at a temp dir holding the rules.
    const rulesDir = join(tmp, 'rules');
    mkdirSync(rulesDir, { recursive: true });
    writeFileSync(join(rulesDir, 'sockeye.rules.yml'), rulesYaml({ file: 'sockeye' }));
    writeFileSync(join(rulesDir, 'pipeline.rules.yml'), rulesYaml({ file: 'pipeline' }));
    expect(config.rule_files).toEqual(['/etc/prometheus/rules/*.yml']);
    const copy = join(tmp, 'prometheus.yml');
    writeFileSync(copy, readFileSync(PROM_FILE, 'utf8').replace('/etc/prometheus/rules/', `${rulesDir}/`));
    const r = await runTool('promtool', ['check', 'config', copy]);
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain('SUCCESS: 2 rule files found');
    expect(r.output).toContain(`SUCCESS: ${ruleGroups({ file: 'sockeye' }).flatMap((g) => g.rules).length} rules found`);
    expect(r.output).toContain(`SUCCESS: ${ruleGroups({ file: 'pipeline' }).flatMap((g) => g.rules).length} rules found`);
  });

  it('scrapes every job the alert rules select, and sockeye on its default port', () => {
    const jobs = config.scrape_configs.map((s) => s.job_name);
    const selected = new Set(rules.flatMap((r) => [...r.expr.matchAll(/job="([^"]+)"/g)].map((m) => m[1]!)));
    // kube-state-metrics is selected by the node agent's recording rules (alerts/kube.rules.yml) only, not loaded here.
    expect([...selected].sort()).toEqual(Object.entries(defaultAlertsConfig.selectors).filter(([k]) => k !== 'kubeStateMetrics').map(([, v]) => /job="([^"]+)"/.exec(v)![1]!).sort());
    for (const job of selected) expect(jobs, job).toContain(job);
    expect(config.scrape_configs.find((s) => s.job_name === 'sockeye')?.static_configs[0]?.targets).toEqual(['sockeye:9855']);
  });

  it('sends alerts to the Alertmanager it scrapes', () => {
    const scraped = config.scrape_configs.find((s) => s.job_name === 'alertmanager')?.static_configs[0]?.targets;
    expect(config.alerting.alertmanagers[0]?.static_configs[0]?.targets).toEqual(scraped);
  });
});
