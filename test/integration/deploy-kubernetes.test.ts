// deploy/kubernetes (the base: what sockeye brings to a cluster),
// deploy/kubernetes-example (the example app with its sidecar, an overlay on
// the base) and deploy/kubernetes-node (the node agent, another overlay):
// every manifest parses, kubectl kustomize renders each and every object it
// renders passes the API schemas of kubernetes-models, the base deploys no
// image at all, the overlays only the images the README builds, the sidecar
// has what it needs to read the app's /proc and the node agent what it needs
// to read the node's (and nothing more), the PodMonitors find them under the
// job name the rules select, and the PrometheusRules carry exactly the rules
// of alerts/.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { alertsConfig } from '../../alerts/config.js';
import { ruleGroups, type RuleFileName } from '../../alerts/rules.js';
import { prometheusRuleYaml } from '../../scripts/gen-prometheusrule.js';
import { parseConfig } from '../../src/config/load.js';
import { kubeAccess } from '../../src/config/node.js';
import { validateObject } from '../support/kube-models.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DIR = join(ROOT, 'deploy/kubernetes');
const EXAMPLE = join(ROOT, 'deploy/kubernetes-example');
const NODE = join(ROOT, 'deploy/kubernetes-node');
const run = promisify(execFile);

interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [key: string]: unknown;
}

// Manifests are untyped YAML read as `any`: the assertions are the schema.
function loadAll(text: string, what: string): Manifest[] {
  const docs = parseAllDocuments(text);
  for (const d of docs) expect(d.errors.map((e) => e.message), what).toEqual([]);
  return docs.map((d) => d.toJS() as Manifest).filter(Boolean);
}

const yamlFiles = (dir: string) => readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort();
const manifestsOf = (dir: string) => yamlFiles(dir).flatMap((f) => loadAll(readFileSync(join(dir, f), 'utf8'), f).map((m) => ({ file: f, m })));
const base = manifestsOf(DIR);
const example = manifestsOf(EXAMPLE);
const manifests = [...base, ...example];
const one = (kind: string, within: typeof manifests | string = manifests) => {
  const found = typeof within === 'string' ? manifests.filter((x) => x.m.kind === kind && x.file === within) : within.filter((x) => x.m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0]!.m as any;
};

/** kubectl kustomize DIR: the manifests `kubectl apply -k DIR` would send. */
async function kustomize(dir: string): Promise<Manifest[]> {
  const { stdout } = await run('kubectl', ['kustomize', dir], { timeout: 60_000 });
  return loadAll(stdout, `kubectl kustomize ${dir}`);
}

const images = (ms: Manifest[]): string[] =>
  ms.flatMap((m: any) => [...(m.spec?.template?.spec?.containers ?? []), ...(m.spec?.template?.spec?.initContainers ?? [])].map((c: any) => c.image as string));

const deployment = one('Deployment');
const pod = deployment.spec.template.spec;
const sockeye = pod.containers.find((c: any) => c.name === 'sockeye');
const configMap = one('ConfigMap');

const tmp = mkdtempSync(join(tmpdir(), 'sockeye-k8s-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('deploy/kubernetes manifests', () => {
  it('are the expected kinds and API versions, each named: the base is sockeye alone, the example app is the overlay', () => {
    expect(base.map((x) => `${x.file}: ${x.m.apiVersion} ${x.m.kind}`)).toEqual([
      'kustomization.yaml: kustomize.config.k8s.io/v1beta1 Kustomization',
      'podmonitor.yaml: monitoring.coreos.com/v1 PodMonitor',
      'prometheusrule-pipeline.yaml: monitoring.coreos.com/v1 PrometheusRule',
      'prometheusrule.yaml: monitoring.coreos.com/v1 PrometheusRule',
    ]);
    expect(example.map((x) => `${x.file}: ${x.m.apiVersion} ${x.m.kind}`)).toEqual([
      'deployment.yaml: v1 ConfigMap',
      'deployment.yaml: apps/v1 Deployment',
      'kustomization.yaml: kustomize.config.k8s.io/v1beta1 Kustomization',
    ]);
    for (const { file, m } of manifests) if (m.kind !== 'Kustomization') expect(m.metadata?.name, file).toMatch(/^[a-z0-9-]+$/);
  });

  it('each kustomization lists every other manifest of its directory (the example: the base, then its own)', () => {
    // The pipeline rules stay out: kube-prometheus already ships them (docs/deploy.md).
    expect([...one('Kustomization', base).resources].sort()).toEqual(yamlFiles(DIR).filter((f) => f !== 'kustomization.yaml' && f !== 'prometheusrule-pipeline.yaml'));
    expect(one('Kustomization', example).resources).toEqual(['../kubernetes', ...yamlFiles(EXAMPLE).filter((f) => f !== 'kustomization.yaml')]);
  });

  it('kubectl apply -k deploy/kubernetes deploys the PodMonitor and the rules, and no image', async () => {
    const rendered = await kustomize(DIR);
    expect(rendered.map((m) => m.kind).sort()).toEqual(['PodMonitor', 'PrometheusRule']);
    expect(images(rendered)).toEqual([]);
  });

  it('the example renders the base plus the app, with only images its README builds from this repository', async () => {
    const rendered = await kustomize(EXAMPLE);
    expect(rendered.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'PodMonitor', 'PrometheusRule']);
    const readme = readFileSync(join(EXAMPLE, 'README.md'), 'utf8');
    const built = new Map([...readme.matchAll(/^docker build -t (\S+)(?: .*)? (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    const used = images(rendered);
    expect(used.sort()).toEqual(['sockeye-example-app:0.1.0', 'sockeye:0.1.0']);
    for (const image of used) {
      expect(built.has(image), `${image} is built in README.md`).toBe(true);
      expect(existsSync(join(ROOT, built.get(image)!, 'Dockerfile')), `${built.get(image)}/Dockerfile`).toBe(true);
    }
  });

  it.each([DIR, EXAMPLE, NODE])('every object kubectl kustomize renders from %s passes its API schema (kubernetes-models)', async (dir) => {
    const rendered = await kustomize(dir);
    expect(rendered.length).toBeGreaterThan(1);
    for (const m of rendered) expect(validateObject(m), `${m.kind} ${m.metadata.name}`).toEqual([]);
  });

  it('the schema check does fail on a malformed object (it can fail)', () => {
    const broken = structuredClone(deployment);
    broken.spec.template.spec.containers[1].securityContext.capabilities.add = 'SYS_PTRACE';
    delete broken.spec.template.spec.containers[1].volumeMounts[0].mountPath;
    const problems = validateObject(broken).join('\n');
    expect(problems).toContain('capabilities/add must be array');
    expect(problems).toContain('volumeMounts/0 must have required property mountPath');
    expect(validateObject({ apiVersion: 'v9', kind: 'Gadget', metadata: { name: 'x' } })).toEqual(['no schema for v9 Gadget']);
  });

  it('kubectl kustomize does fail on a broken overlay (the checks above can fail)', async () => {
    cpSync(EXAMPLE, join(tmp, 'kubernetes-example'), { recursive: true });
    cpSync(DIR, join(tmp, 'kubernetes'), { recursive: true });
    const k = join(tmp, 'kubernetes-example', 'kustomization.yaml');
    writeFileSync(k, readFileSync(k, 'utf8').replace('  - deployment.yaml', '  - deployment.yaml\n  - missing.yaml'));
    await expect(kustomize(join(tmp, 'kubernetes-example'))).rejects.toThrow(/missing\.yaml/);
  });

  describe('the sidecar', () => {
    it('shares the pod process namespace and runs next to the app', () => {
      expect(pod.shareProcessNamespace).toBe(true);
      expect(pod.containers.map((c: any) => c.name).sort()).toEqual(['app', 'sockeye']);
      const labels = deployment.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(deployment.spec.selector.matchLabels)) expect(labels[k], k).toBe(v);
    });

    it('adds SYS_PTRACE and DAC_READ_SEARCH, drops everything else, on a read-only root', () => {
      const sc = sockeye.securityContext;
      expect(sc.capabilities.drop).toEqual(['ALL']);
      expect([...sc.capabilities.add].sort()).toEqual(['DAC_READ_SEARCH', 'SYS_PTRACE']);
      expect(sc.readOnlyRootFilesystem).toBe(true);
      expect(sc.allowPrivilegeEscalation).toBe(false);
      // Added capabilities are effective for uid 0 only; the app stays non-root.
      expect(sc.runAsUser).toBe(0);
      expect(pod.securityContext.runAsNonRoot).toBe(true);
      const app = pod.containers.find((c: any) => c.name === 'app');
      expect(app.securityContext?.runAsUser ?? pod.securityContext.runAsUser).not.toBe(0);
    });

    it('probes /healthz for liveness and /readyz for readiness on its metrics port', () => {
      const port = sockeye.ports.find((p: any) => p.containerPort === 9855);
      // IANA_SVC_NAME: 1-15 lowercase letters, digits and inner single hyphens, at least one letter.
      expect(port?.name).toMatch(/^(?=[a-z0-9-]{1,15}$)(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(sockeye.livenessProbe.httpGet).toEqual({ path: '/healthz', port: port.name });
      expect(sockeye.readinessProbe.httpGet).toEqual({ path: '/readyz', port: port.name });
    });

    it('has resource requests and a memory limit with headroom over the measured peak', () => {
      const mib = (q: string) => {
        const m = /^(\d+)(Mi|Gi)$/.exec(q);
        if (!m) throw new Error(`unexpected memory quantity ${q}`);
        return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
      };
      expect(sockeye.resources.requests.cpu).toMatch(/^\d+m$/);
      expect(mib(sockeye.resources.requests.memory)).toBeGreaterThanOrEqual(64);
      // docs/performance.md measured ~280 MiB at worst (19,000 fds scraped
      // every second plus 500 checks a second): an OOM-killed checker is
      // the very failure sockeye is meant to catch.
      expect(mib(sockeye.resources.limits.memory)).toBeGreaterThanOrEqual(300);
    });

    it('loads its config from the ConfigMap, and keeps heartbeat state and /tmp on writable volumes', () => {
      const configPath: string = sockeye.args[sockeye.args.indexOf('--config') + 1];
      const mounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> = sockeye.volumeMounts;
      const volume = (name: string) => pod.volumes.find((v: any) => v.name === name);
      const configMount = mounts.find((m) => configPath.startsWith(`${m.mountPath}/`));
      expect(configMount?.readOnly).toBe(true);
      expect(volume(configMount!.name).configMap.name).toBe(configMap.metadata.name);
      const key = configPath.slice(configMount!.mountPath.length + 1);
      const config = parseConfig(configMap.data[key], { source: `ConfigMap ${key}`, env: {} });
      const stateMount = mounts.find((m) => m.mountPath === config.stateDir);
      expect(mounts.map((m) => m.mountPath), 'a volume mounted at stateDir').toContain(config.stateDir);
      expect(stateMount!.readOnly).not.toBe(true);
      // Exactly one source, and one that can be written to.
      expect(Object.keys(volume(stateMount!.name)).filter((k) => k !== 'name')).toEqual([expect.stringMatching(/^(emptyDir|persistentVolumeClaim)$/)]);
      expect(mounts.some((m) => m.mountPath === '/tmp')).toBe(true);
    });

    it("its config checks the app over the pod's shared loopback, with the protocol conversation", () => {
      const config = parseConfig(configMap.data['sockeye.yml'], { env: {} });
      const tcp = config.checks.find((c) => c.type === 'tcp');
      expect(tcp?.tcp?.address).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(tcp?.tcp?.conversation.length).toBeGreaterThanOrEqual(3);
      expect(config.checks.find((c) => c.type === 'http')?.http?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    });

    it('a broken ConfigMap config would be caught (parseConfig rejects it, naming the key)', () => {
      const broken = (configMap.data['sockeye.yml'] as string).replace('min: 3', 'min: three');
      expect(() => parseConfig(broken, { env: {} })).toThrow(/targets\[0\]\.processes\.min/);
    });
  });

  describe('PodMonitor', () => {
    const pm = one('PodMonitor');

    it("selects the pod template's labels and scrapes the sidecar's named port", () => {
      const labels = deployment.spec.template.metadata.labels;
      for (const [k, v] of Object.entries(pm.spec.selector.matchLabels)) expect(labels[k], k).toBe(v);
      const endpoint = pm.spec.podMetricsEndpoints[0];
      expect(sockeye.ports.map((p: any) => p.name)).toContain(endpoint.port);
      expect(endpoint.path).toBe('/metrics');
    });

    it('sets the job label the shipped rules select', () => {
      const relabel = pm.spec.podMetricsEndpoints[0].relabelings.find((r: any) => r.targetLabel === 'job');
      expect(`job="${relabel.replacement}"`).toBe(alertsConfig().selectors.sockeye);
    });
  });

  describe.each([
    ['sockeye', 'prometheusrule.yaml'],
    ['pipeline', 'prometheusrule-pipeline.yaml'],
  ] as Array<[RuleFileName, string]>)('PrometheusRule of alerts/%s.rules.yml (%s)', (file, manifest) => {
    const committed = readFileSync(join(DIR, manifest), 'utf8');
    const rule = one('PrometheusRule', manifest);

    it(`carries exactly the rule groups of alerts/${file}.rules.yml`, () => {
      const rules = parse(readFileSync(join(ROOT, `alerts/${file}.rules.yml`), 'utf8')) as { groups: unknown[] };
      expect(rules.groups.length).toBeGreaterThan(0);
      expect(rule.spec.groups).toEqual(rules.groups);
    });

    it('is what npm run deploy:k8s writes from the alerts generator', () => {
      expect(prometheusRuleYaml(file)).toBe(committed);
    });

    it('drift is detected: one changed threshold makes the groups differ', () => {
      const groups = ruleGroups({ file });
      groups[0]!.rules[0]!.expr += ' * 2';
      expect((parse(prometheusRuleYaml(file, groups)) as any).spec.groups).not.toEqual(rule.spec.groups);
    });
  });

  it('the two PrometheusRules have distinct names, so both can be applied', () => {
    const names = manifests.filter((x) => x.m.kind === 'PrometheusRule').map((x) => x.m.metadata.name);
    expect(new Set(names).size).toBe(2);
    expect(ruleGroups({ file: 'pipeline' }).flatMap((g) => g.rules.map((r) => r.alert))).toContain('Watchdog');
  });
});

describe('deploy/kubernetes-node: the node agent', () => {
  const node = manifestsOf(NODE);
  const of = (kind: string) => {
    const found = node.filter((x) => x.m.kind === kind);
    expect(found, kind).toHaveLength(1);
    return found[0]!.m as any;
  };
  const daemonSet = of('DaemonSet');
  const spec = daemonSet.spec.template.spec;
  const agent = spec.containers[0];
  const configMap = of('ConfigMap');
  const configPath: string = agent.args[agent.args.indexOf('--config') + 1];
  const mounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> = agent.volumeMounts;
  const volume = (name: string) => spec.volumes.find((v: any) => v.name === name);
  const configMount = mounts.find((m) => configPath.startsWith(`${m.mountPath}/`))!;
  const configText: string = configMap.data[configPath.slice(configMount.mountPath.length + 1)];
  // What the pod's environment holds: the downward API's node name, and what every pod gets.
  const podEnv = (): Record<string, string> => ({
    ...Object.fromEntries(agent.env.map((e: any) => [e.name, e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName' ? 'node-a' : e.value])),
    KUBERNETES_SERVICE_HOST: '10.96.0.1',
    KUBERNETES_SERVICE_PORT: '443',
  });
  const config = parseConfig(configText, { source: 'ConfigMap sockeye-node', env: podEnv() });

  it('is the expected objects, listed in its kustomization on top of the base', () => {
    expect(node.map((x) => `${x.file}: ${x.m.apiVersion} ${x.m.kind}`)).toEqual([
      'daemonset.yaml: v1 ConfigMap',
      'daemonset.yaml: apps/v1 DaemonSet',
      'kustomization.yaml: kustomize.config.k8s.io/v1beta1 Kustomization',
      'namespace.yaml: v1 Namespace',
      'podmonitor.yaml: monitoring.coreos.com/v1 PodMonitor',
      'prometheusrule-kube.yaml: monitoring.coreos.com/v1 PrometheusRule',
      'rbac.yaml: v1 ServiceAccount',
      'rbac.yaml: rbac.authorization.k8s.io/v1 ClusterRole',
      'rbac.yaml: rbac.authorization.k8s.io/v1 ClusterRoleBinding',
    ]);
    const [first, ...own] = of('Kustomization').resources as string[];
    expect(first).toBe('../kubernetes');
    expect(own.sort()).toEqual(yamlFiles(NODE).filter((f) => f !== 'kustomization.yaml'));
  });

  it('kubectl apply -k renders the base and the agent in its privileged namespace, with only the image the README builds', async () => {
    const rendered = await kustomize(NODE);
    expect(rendered.map((m) => m.kind).sort()).toEqual(
      ['ClusterRole', 'ClusterRoleBinding', 'ConfigMap', 'DaemonSet', 'Namespace', 'PodMonitor', 'PodMonitor', 'PrometheusRule', 'PrometheusRule', 'ServiceAccount'].sort(),
    );
    const ns = rendered.find((m) => m.kind === 'Namespace')!;
    // hostPID and hostPath volumes are refused below the "privileged" Pod Security level.
    expect(ns.metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('privileged');
    for (const m of rendered.filter((x) => !['Namespace', 'ClusterRole', 'ClusterRoleBinding'].includes(x.kind))) expect((m.metadata as any).namespace, `${m.kind} ${m.metadata.name}`).toBe(ns.metadata.name);
    const binding: any = rendered.find((m) => m.kind === 'ClusterRoleBinding');
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: spec.serviceAccountName, namespace: ns.metadata.name }]);
    expect(images(rendered)).toEqual(['sockeye:0.1.0']);
    const readme = readFileSync(join(EXAMPLE, 'README.md'), 'utf8');
    expect(readme).toMatch(/^docker build -t sockeye:0\.1\.0 .* \.$/m);
  });

  it('runs on every node, in the host PID namespace, with the node name from the downward API', () => {
    expect(spec.hostPID).toBe(true);
    expect(spec.hostNetwork ?? false).toBe(false);
    expect(spec.tolerations).toContainEqual({ operator: 'Exists' });
    expect(agent.env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
    expect(spec.serviceAccountName).toBe(of('ServiceAccount').metadata.name);
    for (const [k, v] of Object.entries(daemonSet.spec.selector.matchLabels)) expect(daemonSet.spec.template.metadata.labels[k], k).toBe(v);
  });

  it("its ConfigMap is a node-mode config sockeye's loader accepts, reading the host's /proc and cgroups where they are mounted read-only", () => {
    expect(config.mode).toBe('node');
    const hostMount = (hostPath: string) => {
      const of = spec.volumes.filter((x: any) => x.hostPath?.path === hostPath);
      expect(of.map((x: any) => x.hostPath.path), `one hostPath volume of ${hostPath}`).toEqual([hostPath]);
      const m = mounts.find((x) => x.name === of[0].name)!;
      expect(m.readOnly, m.mountPath).toBe(true);
      return m.mountPath;
    };
    expect(config.procRoot).toBe(hostMount('/proc'));
    expect(config.cgroupRoot).toBe(hostMount('/sys/fs/cgroup'));
    // Nothing else of the host.
    expect(spec.volumes.filter((v: any) => v.hostPath).map((v: any) => v.hostPath.path).sort()).toEqual(['/proc', '/sys/fs/cgroup']);
    expect(configMount.readOnly).toBe(true);
    expect(volume(configMount.name).configMap.name).toBe(configMap.metadata.name);
    expect(mounts.some((m) => m.mountPath === '/tmp' && volume(m.name).emptyDir)).toBe(true);
    expect(config.listen).toMatch(/^0\.0\.0\.0:9855$/);
  });

  it('the pod list it enables finds its node and API server in the pod environment the DaemonSet gives it, and a broken config is refused', () => {
    expect(config.node.kubernetes.enabled).toBe(true);
    expect(kubeAccess(config.node.kubernetes, podEnv())).toMatchObject({ nodeName: 'node-a', apiServer: 'https://10.96.0.1:443' });
    // Without NODE_NAME from the downward API it could not say which node's pods to list.
    const env = podEnv();
    delete env.NODE_NAME;
    expect(kubeAccess(config.node.kubernetes, env)).toEqual([expect.stringMatching(/^node\.kubernetes\.nodeName: .*NODE_NAME/)]);
    expect(() => parseConfig(configText.replace('maxContainers: 200', 'maxContainers: 1'), { env: podEnv() })).toThrow(/node\.maxContainers/);
  });

  it('adds exactly the capabilities docs/deploy.md documents, drops every other, and cannot gain any', () => {
    const sc = agent.securityContext;
    const documented = /The node agent adds exactly ([^.]+)\./.exec(readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8'));
    expect(documented, 'docs/deploy.md: "The node agent adds exactly `CAP_…` and `CAP_…`."').not.toBeNull();
    const names = [...documented![1]!.matchAll(/`CAP_([A-Z_]+)`/g)].map((m) => m[1]!);
    expect(names.length).toBeGreaterThan(0);
    expect([...sc.capabilities.add].sort()).toEqual(names.sort());
    expect(sc.capabilities.drop).toEqual(['ALL']);
    expect(sc.privileged).toBe(false);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    // Added capabilities take effect for uid 0 only (Kubernetes sets no
    // ambient capabilities): the one place sockeye runs as root, said so in the manifest.
    expect(sc.runAsUser).toBe(0);
    expect(sc.runAsNonRoot).toBe(false);
    expect(readFileSync(join(NODE, 'daemonset.yaml'), 'utf8')).toMatch(/runAsNonRoot cannot hold/);
    expect(spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
  });

  it('requests memory and CPU, with a memory limit twice the peak docs/deploy.md measured', () => {
    const mib = (q: string) => {
      const m = /^(\d+)(Mi|Gi)$/.exec(q);
      if (!m) throw new Error(`unexpected memory quantity ${q}`);
      return Number(m[1]) * (m[2] === 'Gi' ? 1024 : 1);
    };
    expect(agent.resources.requests.cpu).toMatch(/^\d+m$/);
    const sizing = readFileSync(join(ROOT, 'docs/deploy.md'), 'utf8').split('#### Sizing')[1] ?? '';
    const measured = /used (\d+) MiB idle and\s+[\d–]+ MiB while\s+scraped every 15 s \(peak (\d+) MiB\)/;
    expect(sizing, 'docs/deploy.md, Sizing: "used N MiB idle and A–B MiB while scraped every 15 s (peak P MiB)"').toMatch(measured);
    const [, idle, peak] = measured.exec(sizing)!;
    expect(mib(agent.resources.requests.memory)).toBeGreaterThan(Number(idle));
    // An OOM-killed agent blinds its node.
    expect(mib(agent.resources.limits.memory)).toBeGreaterThanOrEqual(2 * Number(peak));
    expect(agent.livenessProbe.httpGet.path).toBe('/healthz');
    expect(agent.readinessProbe.httpGet.path).toBe('/readyz');
  });

  it('its ServiceAccount can read pods and nothing else', () => {
    // Every (group, resource, verb) the rules grant, wildcards as they are: one '*' anywhere fails.
    const grants = (rules: any[]) => rules.flatMap((r) => r.apiGroups.flatMap((g: string) => r.resources.flatMap((res: string) => r.verbs.map((v: string) => `${g}/${res}:${v}`)))).sort();
    const role = of('ClusterRole');
    expect(grants(role.rules)).toEqual(['/pods:get', '/pods:list', '/pods:watch']);
    expect(role.rules.every((r: any) => r.resourceNames === undefined && r.nonResourceURLs === undefined)).toBe(true);
    expect(role.aggregationRule).toBeUndefined();
    const binding = of('ClusterRoleBinding');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.metadata.name });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: of('ServiceAccount').metadata.name, namespace: 'sockeye-system' }]);
    // The only binding: nothing else grants the account more.
    expect(node.filter((x) => /Binding$/.test(x.m.kind))).toHaveLength(1);
    // The check can fail: a wildcard or a second resource is seen.
    expect(grants([...role.rules, { apiGroups: [''], resources: ['secrets'], verbs: ['get'] }])).toContain('/secrets:get');
    expect(grants([{ apiGroups: ['*'], resources: ['pods'], verbs: ['*'] }])).not.toEqual(['/pods:get', '/pods:list', '/pods:watch']);
  });

  it('its PodMonitor scrapes the agent with honorLabels, under the job the rules select; the sidecar PodMonitor does not also scrape it', () => {
    const pm = of('PodMonitor');
    const endpoint = pm.spec.podMetricsEndpoints[0];
    expect(endpoint.honorLabels).toBe(true);
    const labels = daemonSet.spec.template.metadata.labels;
    for (const [k, v] of Object.entries(pm.spec.selector.matchLabels)) expect(labels[k], k).toBe(v);
    expect(agent.ports.map((p: any) => p.name)).toContain(endpoint.port);
    expect(endpoint.path).toBe('/metrics');
    const job = endpoint.relabelings.find((r: any) => r.targetLabel === 'job');
    expect(`job="${job.replacement}"`).toBe(alertsConfig().selectors.sockeye);
    const sidecars = one('PodMonitor', 'podmonitor.yaml');
    expect(Object.entries(sidecars.spec.selector.matchLabels).every(([k, v]) => labels[k] === v)).toBe(false);
  });

  it('its component without-pod-list takes the RBAC and the token away and turns the pod list off, leaving a valid agent', async () => {
    const work = join(tmp, 'without-pod-list');
    cpSync(DIR, join(work, 'kubernetes'), { recursive: true });
    cpSync(NODE, join(work, 'kubernetes-node'), { recursive: true });
    // An overlay of the user's own, as the component's comment says.
    const overlay = join(work, 'overlay');
    mkdirSync(overlay);
    writeFileSync(join(overlay, 'kustomization.yaml'), 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [../kubernetes-node]\ncomponents: [../kubernetes-node/without-pod-list]\n');
    const rendered = (await kustomize(overlay)) as any[];
    expect(rendered.map((m) => m.kind).sort()).toEqual(['ConfigMap', 'DaemonSet', 'Namespace', 'PodMonitor', 'PodMonitor', 'PrometheusRule', 'PrometheusRule'].sort());
    for (const m of rendered) expect(validateObject(m), `${m.kind} ${m.metadata.name}`).toEqual([]);
    const ds = rendered.find((m) => m.kind === 'DaemonSet');
    const podSpec = ds.spec.template.spec;
    expect(podSpec.automountServiceAccountToken).toBe(false);
    expect(podSpec.serviceAccountName).toBeUndefined();
    const c = podSpec.containers[0];
    const env = Object.fromEntries(c.env.map((e: any) => [e.name, e.valueFrom?.fieldRef?.fieldPath === 'spec.nodeName' ? 'node-a' : e.value]));
    const cm = rendered.find((m) => m.kind === 'ConfigMap');
    const off = parseConfig(cm.data['sockeye.yml'], { env });
    expect(off.mode).toBe('node');
    expect(off.node.kubernetes.enabled).toBe(false);
    // Everything else of the agent is as without the component.
    expect(c.securityContext).toEqual(agent.securityContext);
    expect(podSpec.volumes).toEqual(spec.volumes);
  });

  it('its PrometheusRule carries exactly the recording rules of alerts/kube.rules.yml, as npm run deploy:k8s writes them', () => {
    const rule = of('PrometheusRule');
    const rules = parse(readFileSync(join(ROOT, 'alerts/kube.rules.yml'), 'utf8')) as { groups: Array<{ rules: Array<{ record?: string }> }> };
    expect(rules.groups.flatMap((g) => g.rules.map((r) => r.record))).toContain('namespace_pod_container:sockeye_target_info:kube');
    expect(rule.spec.groups).toEqual(rules.groups);
    expect(prometheusRuleYaml('kube')).toBe(readFileSync(join(NODE, 'prometheusrule-kube.yaml'), 'utf8'));
    expect(rule.metadata.name).not.toBe(one('PrometheusRule', 'prometheusrule.yaml').metadata.name);
  });
});
