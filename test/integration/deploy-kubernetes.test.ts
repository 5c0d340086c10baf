// deploy/kubernetes (the base: what sockeye brings to a cluster) and
// deploy/kubernetes-example (the example app with its sidecar, an overlay on
// the base): every manifest parses and kubectl kustomize renders both, the
// base deploys no image at all, the example only images its README builds,
// the sidecar has what it needs to read the app's /proc, the PodMonitor
// finds it under the job name the rules select, and the PrometheusRule
// carries exactly the rules of alerts/.
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { alertsConfig } from '../../alerts/config.js';
import { ruleGroups, type RuleFileName } from '../../alerts/rules.js';
import { prometheusRuleYaml } from '../../scripts/gen-prometheusrule.js';
import { parseConfig } from '../../src/config/load.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DIR = join(ROOT, 'deploy/kubernetes');
const EXAMPLE = join(ROOT, 'deploy/kubernetes-example');
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
