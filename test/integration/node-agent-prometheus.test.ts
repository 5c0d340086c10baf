// The node agent as Prometheus sees it: real sockeyes in node mode reading a
// node built for real (test/support/kube-node.ts), scraped by a real
// Prometheus the way deploy/kubernetes-node's PodMonitor scrapes them
// (honor_labels, the agent pod's namespace, pod and container as target
// labels), beside a static exposition of kube-state-metrics' series for the
// same pods and a sidecar-mode sockeye. Proven here: the recording rules of
// alerts/kube.rules.yml name an agent's containers without the pod list, the
// join docs/deploy.md gives works, an agent with the pod list labels its
// series itself, and every dashboard query runs with the namespace, pod and
// container variables against these series.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { recordingRulesYaml, rulesYaml } from '../../alerts/rules.js';
import { panelQueries, substituteVariables } from '../../dashboards/queries.js';
import { makeCerts, type TestCerts } from '../support/certs.js';
import { buildKubeNode, containerIdUri, podList, type BuiltContainer, type BuiltPod, type KubeNode } from '../support/kube-node.js';
import { getJson, poll } from '../support/poll.js';
import { startPrometheus, type Prometheus, type Sample } from '../support/prometheus.js';
import { startSockeye, type Sockeye } from '../support/sockeye.js';

const TOKEN = 'sockeye-test-token-node-agent';
const dir = mkdtempSync(join(tmpdir(), 'sockeye-node-prom-'));

let node: KubeNode;
let certs: TestCerts;
let apiServer: Server;
let ksm: HttpServer;
/** Without the pod list, with it, and a sidecar watching the web pod's app. */
let bare: Sockeye;
let listed: Sockeye;
let sidecar: Sockeye;
let prom: Prometheus;

const port = (s: Server | HttpServer) => (s.address() as AddressInfo).port;
const listen = (s: Server | HttpServer) => new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
const close = (s: Server | HttpServer | undefined) => new Promise((resolve) => (s ? s.close(resolve) : resolve(undefined)));
const hostPort = (s: Sockeye) => new URL(s.url).host;

const web = () => node.pods[0]!;
const dns = () => node.pods[1]!;
const uidName = (p: BuiltPod, c: BuiltContainer) => `${p.uid}/${c.id.slice(0, 12)}`;
const ours = (samples: Sample[]) => samples.filter((s) => node.pods.some((p) => s.metric.target?.startsWith(`${p.uid}/`) || s.metric.pod_uid === p.uid));

/** kube-state-metrics' exposition of these pods, as v2 writes it (docs/pod-metrics.md). */
function kubeStateMetrics(pods: readonly BuiltPod[]): string {
  const labels = (l: Record<string, string>) => `{${Object.entries(l).map(([k, v]) => `${k}="${v}"`).join(',')}}`;
  const lines = [
    '# HELP kube_pod_info [STABLE] Information about pod.',
    '# TYPE kube_pod_info gauge',
    ...pods.map(
      (p, i) =>
        `kube_pod_info${labels({ namespace: p.plan.namespace, pod: p.plan.name, uid: p.uid, host_ip: '10.0.0.11', pod_ip: `10.0.3.${40 + i}`, node: 'node-a', created_by_kind: 'StatefulSet', created_by_name: p.plan.name.replace(/-\d+$/, ''), priority_class: '', host_network: 'false' })} 1`,
    ),
    '# HELP kube_pod_container_info [STABLE] Information about a container in a pod.',
    '# TYPE kube_pod_container_info gauge',
    ...pods.flatMap((p) =>
      p.containers.map(
        (c) =>
          `kube_pod_container_info${labels({ namespace: p.plan.namespace, pod: p.plan.name, uid: p.uid, container: c.name, image_spec: `registry.example/${c.name}:1`, image: `registry.example/${c.name}:1`, image_id: `registry.example/${c.name}@sha256:${c.id}`, container_id: containerIdUri(p, c) })} 1`,
      ),
    ),
  ];
  return `${lines.join('\n')}\n`;
}

/** What deploy/kubernetes-node's PodMonitor gives Prometheus: the agent pod's own labels on the target, honorLabels. */
const agentTarget = (s: Sockeye, pod: string) => ({ targets: [hostPort(s)], labels: { namespace: 'sockeye-system', pod, container: 'sockeye', node: 'node-a' } });

beforeAll(async () => {
  node = await buildKubeNode([
    {
      namespace: 'shop',
      name: 'web-0',
      driver: 'systemd',
      runtime: 'containerd',
      qos: 'burstable',
      containers: [
        { name: 'app', processes: 2, files: 3, listeners: 1, closeWait: 2 },
        { name: 'proxy', files: 1, listeners: 1, closeWait: 1 },
      ],
    },
    { namespace: 'kube-system', name: 'dns-0', driver: 'cgroupfs', runtime: 'cri-o', qos: 'besteffort', containers: [{ name: 'dns', files: 1 }] },
  ]);
  certs = makeCerts();
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  apiServer = createServer({ key: certs.valid.key, cert: certs.valid.cert }, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x');
    const wanted = url.pathname === '/api/v1/pods' && url.searchParams.get('fieldSelector') === 'spec.nodeName=node-a' && req.headers.authorization === `Bearer ${TOKEN}`;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(podList(wanted ? node.pods : [], 'node-a')));
  });
  ksm = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(kubeStateMetrics(node.pods)));
  await Promise.all([listen(apiServer), listen(ksm)]);

  const nodeConfig = (kubernetes: string) => `mode: node\nlogLevel: warn\nnode:\n  outsidePods: exclude\n${kubernetes}`;
  [bare, listed, sidecar] = await Promise.all([
    startSockeye({ config: nodeConfig(''), readyTimeoutMs: 60_000 }),
    startSockeye({
      config: nodeConfig(`  kubernetes:\n    enabled: true\n    nodeName: node-a\n    apiServer: https://127.0.0.1:${port(apiServer)}\n    tokenFile: ${tokenFile}\n    caFile: ${certs.caFile}\n`),
      readyTimeoutMs: 60_000,
    }),
    startSockeye({ config: { logLevel: 'warn', targets: [{ name: 'app', match: { pid: web().containers[0]!.pids[0] } }] }, readyTimeoutMs: 60_000 }),
  ]);

  // Both rule files a node agent's Prometheus loads: the alerts, and the names from kube-state-metrics.
  const groups = [...(parse(rulesYaml({ file: 'sockeye' })) as { groups: unknown[] }).groups, ...(parse(recordingRulesYaml('kube')) as { groups: unknown[] }).groups];
  prom = await startPrometheus({
    config: {
      global: { scrape_interval: '1s', scrape_timeout: '1s', evaluation_interval: '1s' },
      scrape_configs: [
        { job_name: 'sockeye', honor_labels: true, static_configs: [agentTarget(bare, 'sockeye-node-bare1'), agentTarget(listed, 'sockeye-node-list1')] },
        // A sidecar as deploy/kubernetes' PodMonitor scrapes it, from a plain scrape config: no container label.
        {
          job_name: 'sockeye-sidecars',
          static_configs: [{ targets: [hostPort(sidecar)], labels: { namespace: 'shop', pod: 'web-0' } }],
          relabel_configs: [{ target_label: 'job', replacement: 'sockeye' }],
        },
        // As kube-prometheus scrapes it: honorLabels, so namespace and pod are the objects'.
        {
          job_name: 'kube-state-metrics',
          honor_labels: true,
          static_configs: [{ targets: [`127.0.0.1:${port(ksm)}`], labels: { namespace: 'monitoring', pod: 'kube-state-metrics-0', container: 'kube-state-metrics' } }],
        },
      ],
    },
    rules: stringify({ groups }),
  });
}, 180_000);

afterAll(async () => {
  await prom?.stop();
  await Promise.all([bare, listed, sidecar].map((s) => s?.stop()));
  await Promise.all([close(apiServer), close(ksm)]);
  certs?.cleanup();
  rmSync(dir, { recursive: true, force: true });
  await node?.remove();
}, 60_000);

/** Polls an instant query until `ready` holds for its samples, then returns them. */
const until = (expr: string, ready: (samples: Sample[]) => boolean, what: string) =>
  poll(
    async () => {
      const samples = await prom.query(expr);
      return ready(samples) && samples;
    },
    { timeoutMs: 60_000, intervalMs: 500, what },
  );

const RECORD = 'namespace_pod_container:sockeye_target_info:kube';

describe('a node agent without the pod list, named by the recording rules', () => {
  it("records one series per container with kube-state-metrics' namespace, pod and container, joined on container id", async () => {
    const expected = node.pods.flatMap((p) => p.containers.map((c) => ({ p, c })));
    const samples = ours(await until(`${RECORD}{instance="${hostPort(bare)}"}`, (s) => ours(s).length === expected.length, 'every container named'));
    const got = samples.map((s) => s.metric).sort((a, b) => a.target!.localeCompare(b.target!));
    const want = expected
      .map(({ p, c }) => ({
        __name__: RECORD,
        job: 'sockeye',
        instance: hostPort(bare),
        node: 'node-a',
        target: uidName(p, c),
        pod_uid: p.uid,
        container_id: containerIdUri(p, c),
        qos_class: p.plan.qos,
        namespace: p.plan.namespace,
        pod: p.plan.name,
        container: c.name,
      }))
      .sort((a, b) => a.target.localeCompare(b.target));
    expect(got).toEqual(want);
    expect(samples.every((s) => s.value[1] === '1')).toBe(true);
  }, 90_000);

  it("gives a container's series its names with the join docs/deploy.md shows, two containers of one pod apart", async () => {
    const join = `sockeye_process_sockets{instance="${hostPort(bare)}", protocol="tcp", state="close_wait"} * on (job, instance, target) group_left (namespace, pod, container) ${RECORD}`;
    const samples = ours(await until(join, (s) => ours(s).filter((x) => x.metric.pod === 'web-0').length === 2, 'both web-0 containers joined'));
    const byContainer = Object.fromEntries(samples.filter((s) => s.metric.pod === 'web-0').map((s) => [s.metric.container, { namespace: s.metric.namespace, value: s.value[1] }]));
    expect(byContainer).toEqual({ app: { namespace: 'shop', value: '2' }, proxy: { namespace: 'shop', value: '1' } });
  }, 90_000);

  it("scraped with honor_labels, a container's own series carry no namespace, pod or container, not the agent's", async () => {
    // The agent writes them empty; an empty scraped label still wins over the target's, and Prometheus drops it.
    const raw = ours(await until(`sockeye_target_processes{instance="${hostPort(bare)}"}`, (s) => ours(s).length === 3, 'the containers scraped'));
    for (const s of raw) for (const l of ['namespace', 'pod', 'container']) expect(s.metric[l], `${s.metric.target} ${l}`).toBeUndefined();
    // The agent's own series keep the PodMonitor's: what SockeyeDown and the scheduler alerts match on.
    const own = await until(`sockeye_scrape_series{instance="${hostPort(bare)}"}`, (s) => s.length === 1, "the agent's own series");
    expect(own[0]!.metric).toMatchObject({ namespace: 'sockeye-system', pod: 'sockeye-node-bare1', container: 'sockeye' });
  }, 90_000);
});

describe('the rules on node-agent series', () => {
  it('every alert and recording rule evaluates without error', async () => {
    type Rules = { data: { groups: Array<{ name: string; rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    const rules = await poll(
      async () => {
        const all = (await getJson<Rules>(`${prom.url}/api/v1/rules`)).data.groups.flatMap((g) => g.rules);
        return all.length > 0 && all.every((r) => r.health !== 'unknown') && all;
      },
      { timeoutMs: 60_000, intervalMs: 500, what: 'every rule evaluated once' },
    );
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual([]);
    expect(rules.map((r) => r.name)).toContain(RECORD);
  }, 90_000);
});

describe('a node agent with the pod list', () => {
  it("labels each container's series itself, and honor_labels keeps them over the agent's", async () => {
    const expr = `sockeye_process_sockets{instance="${hostPort(listed)}", namespace="shop", pod="web-0", protocol="tcp", state="close_wait"}`;
    const samples = await until(expr, (s) => s.length === 2, "web-0's containers under their own names");
    expect(Object.fromEntries(samples.map((s) => [s.metric.container, [s.metric.target, s.value[1]]]))).toEqual({ app: ['shop/web-0/app', '2'], proxy: ['shop/web-0/proxy', '1'] });
  }, 90_000);
});

describe('the dashboards against node-agent and sidecar series', () => {
  const base = { datasource: 'prometheus', job: 'sockeye', instance: '.*', target: '.+', check: '.+', heartbeat: '.+', prometheus: 'prometheus', alertmanager: 'alertmanager', __rate_interval: '15s', __interval: '2s' };
  const ALL = { ...base, namespace: '.*', pod: '.*', container: '.*' };
  const APP = { ...base, namespace: 'shop', pod: 'web-0', container: 'app' };
  const process = () => panelQueries().filter((q) => q.dashboard === 'sockeye / Process');

  beforeAll(async () => {
    // Every scrape in, and rate() has two points of each.
    await until(`count(count_over_time(sockeye_target_processes{namespace="shop", pod="web-0"}[1m]) > 3)`, (s) => Number(s[0]?.value[1]) >= 3, 'series of the listed agent and the sidecar');
  }, 90_000);

  it('every panel query of every dashboard runs with the variables at All and at one container', async () => {
    const now = Math.floor(Date.now() / 1000);
    // Prometheus refuses a query it cannot parse or evaluate (queryRange throws): every refusal, named.
    const refused: string[] = [];
    for (const vars of [ALL, APP]) {
      for (const q of panelQueries()) {
        await prom.queryRange(substituteVariables(q.expr, vars), now - 60, now, 5).catch((err: Error) => refused.push(`${q.dashboard} / ${q.panel} [${q.refId}]: ${err.message}`));
      }
    }
    expect(refused).toEqual([]);
  }, 120_000);

  it("picking a pod's container shows that container of the node agent and the pod's sidecar (no container label), nothing else", async () => {
    let panels = 0;
    const seen = new Set<string>();
    for (const q of process()) {
      const samples = await prom.query(substituteVariables(q.expr, APP));
      if (samples.length === 0) continue;
      panels++;
      for (const s of samples) {
        expect([s.metric.namespace, s.metric.pod], `${q.panel}: ${JSON.stringify(s.metric)}`).toEqual(['shop', 'web-0']);
        expect(s.metric.container ?? '', `${q.panel}: ${JSON.stringify(s.metric)}`).toMatch(/^(app)?$/);
        seen.add(s.metric.instance === hostPort(sidecar) ? 'sidecar' : s.metric.instance === hostPort(listed) ? 'node agent' : `other ${s.metric.instance}`);
      }
    }
    expect(panels).toBeGreaterThan(5);
    expect([...seen].sort()).toEqual(['node agent', 'sidecar']);
  }, 120_000);

  it('at All, the two containers of one pod stay two series in every panel that shows them', async () => {
    let split = 0;
    for (const q of process()) {
      const samples = (await prom.query(substituteVariables(q.expr, ALL))).filter((s) => s.metric.instance === hostPort(listed) && s.metric.pod === 'web-0');
      for (const s of samples) expect(['app', 'proxy'], `${q.panel}: ${JSON.stringify(s.metric)}`).toContain(s.metric.container);
      if (new Set(samples.map((s) => s.metric.container)).size === 2) split++;
    }
    expect(split).toBeGreaterThan(5);
  }, 120_000);
});
