// The shipped rules, unmodified, in a real Prometheus scraping a real sockeye
// that watches a real process: every rule evaluates without error against
// what sockeye really exports, nothing but Watchdog is even pending while all
// is well, and real faults make the matching conditions true. (Delivery at
// lab-scale `for:` is the incident lab's job, test/e2e.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rulesYaml } from '../../alerts/rules.js';
import { startAlertmanager, type Alertmanager } from '../support/alertmanager.js';
import { spawnChild, type Child } from '../support/child.js';
import { poll } from '../support/poll.js';
import { startPrometheus, type PromAlert, type Prometheus } from '../support/prometheus.js';
import { freePort, startSockeye, type Sockeye } from '../support/sockeye.js';

const MARK = `sockeye-alerts-live-${process.pid}`;
// A small HTTP app: the watched process and the checked endpoint.
const APP = `require('node:http').createServer((q, s) => s.end('ok')).listen(Number(process.argv[1]), '127.0.0.1');`;

let app: Child;
let sockeye: Sockeye;
let am: Alertmanager;
let prom: Prometheus;
let instance: string;

const active = async (): Promise<PromAlert[]> => prom.alerts();
const find = (alerts: PromAlert[], name: string, labels: Record<string, string>) =>
  alerts.find((a) => a.labels.alertname === name && Object.entries(labels).every(([k, v]) => a.labels[k] === v));

beforeAll(async () => {
  const appPort = await freePort();
  app = spawnChild('app', process.execPath, ['-e', APP, String(appPort), MARK]);
  sockeye = await startSockeye({
    config: {
      targets: [{ name: 'liveapp', match: { cmdline: MARK } }],
      checks: [{ name: 'app-http', every: '1s', timeout: '500ms', http: { url: `http://127.0.0.1:${appPort}/` } }],
      heartbeats: [{ name: 'nightly', period: '1h', grace: '10m' }],
      // Without the trailing slash: sockeye adds it.
      externalUrl: 'https://sockeye.example/ops',
    },
  });
  instance = `127.0.0.1:${sockeye.port}`;
  const ping = await fetch(`${sockeye.url}/ping/nightly`, { signal: AbortSignal.timeout(5000) });
  expect(ping.status).toBe(200);
  am = await startAlertmanager({ config: { route: { receiver: 'nobody' }, receivers: [{ name: 'nobody' }] } });
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
    alerting: { alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${am.port}`] }] }] },
    scrape_configs: [
      { job_name: 'sockeye', static_configs: [{ targets: [instance] }] },
      { job_name: 'alertmanager', static_configs: [{ targets: [`127.0.0.1:${am.port}`] }] },
    ],
  };
  prom = await startPrometheus({ config, rules: rulesYaml() });
  // Its own port is known only now: add the self-scrape the pipeline rules read.
  await prom.reload({ ...config, scrape_configs: [...config.scrape_configs, { job_name: 'prometheus', static_configs: [{ targets: [`127.0.0.1:${prom.port}`] }] }] });
  // Rules have seen sockeye's data for a few evaluations once 3 scrapes with the app and the check are stored.
  await poll(
    async () => {
      const r = await prom.query(`count_over_time(sockeye_check_success{check="app-http"}[1m]) >= 3 and on (job, instance) sockeye_target_processes{target="liveapp"} == 1`);
      const self = await prom.query('count_over_time(up{job="prometheus"}[1m]) >= 3');
      return r.length === 1 && self.length === 1;
    },
    { timeoutMs: 30_000, what: 'Prometheus holding three scrapes of sockeye with the app and its check' },
  );
}, 90_000);

afterAll(async () => {
  await prom?.stop();
  await am?.stop();
  await sockeye?.stop();
  await app?.stop();
});

describe('the shipped rules against a real sockeye', () => {
  it('every rule evaluates without error', async () => {
    const res = await fetch(`${prom.url}/api/v1/rules`, { signal: AbortSignal.timeout(5000) });
    const body = (await res.json()) as { data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    const rules = body.data.groups.flatMap((g) => g.rules.map((r) => ({ group: g.name, ...r })));
    expect(rules.length).toBe(rulesYaml().match(/^\s+- alert: /gm)?.length);
    for (const r of rules) expect({ rule: `${r.group}/${r.name}`, health: r.health, lastError: r.lastError ?? '' }).toEqual({ rule: `${r.group}/${r.name}`, health: 'ok', lastError: '' });
  });

  it('while all is well, nothing but Watchdog is firing or even pending', async () => {
    const alerts = await active();
    expect(alerts.map((a) => `${a.labels.alertname} ${a.state}`)).toEqual(['Watchdog firing']);
  });

  it('a heartbeat reporting failure fires HeartbeatFailed at once', async () => {
    const res = await fetch(`${sockeye.url}/ping/nightly/fail`, { method: 'POST', signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    const alert = await poll(async () => find(await active(), 'HeartbeatFailed', { heartbeat: 'nightly', job: 'sockeye' }), {
      timeoutMs: 20_000,
      what: 'HeartbeatFailed for nightly',
    });
    expect(alert.state).toBe('firing');
    expect(alert.labels.severity).toBe('critical');
    expect(alert.annotations.summary).toBe('Heartbeat nightly reported failure.');
  });

  it('the watched process dying makes TargetMissing and CheckFailing true for it', async () => {
    await app.stop();
    const alerts = await poll(
      async () => {
        const all = await active();
        return find(all, 'TargetMissing', { target: 'liveapp', instance }) && find(all, 'CheckFailing', { check: 'app-http', instance }) ? all : undefined;
      },
      { timeoutMs: 30_000, what: 'TargetMissing(liveapp) and CheckFailing(app-http) pending' },
    );
    // Their `for:` is minutes: true now, paging later.
    expect(find(alerts, 'TargetMissing', { target: 'liveapp', instance })?.state).toBe('pending');
    expect(find(alerts, 'CheckFailing', { check: 'app-http', instance })?.labels.type).toBe('http');
    // The annotation found this sockeye's externalUrl through sockeye_external_url_info; checks are not targets.
    expect(find(alerts, 'TargetMissing', { target: 'liveapp', instance })?.annotations.snapshots).toBe('https://sockeye.example/ops/#snapshots?target=liveapp');
    expect(find(alerts, 'CheckFailing', { check: 'app-http', instance })?.annotations.snapshots).toBeUndefined();
  });
});
