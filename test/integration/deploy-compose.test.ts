// docker-compose.yml, checked with Debian's docker-compose (Docker itself
// cannot run here) and against the files it mounts; the Grafana provisioning
// and sockeye config it mounts are checked for what makes them work together.
import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseConfig } from '../../src/config/load.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'dist/main.js');

interface Service {
  build?: { context: string; dockerfile?: string };
  image?: string;
  pid?: string;
  user?: string;
  cap_add?: string[];
  cap_drop?: string[];
  read_only?: boolean;
  tmpfs?: string[];
  command?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  healthcheck?: { test: string[] };
  security_opt?: string[];
  ports?: Array<{ published: number; target: number }>;
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

async function compose(dir: string, file: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('docker-compose', ['-f', file, ...args], { cwd: dir, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: unknown; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err; // docker-compose missing: setup problem, never a pass
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** "host:container[:mode]" of docker-compose 1.x's resolved output. */
function splitVolume(spec: string): { source: string; target: string; readOnly: boolean } {
  const [source = '', target = '', mode = ''] = spec.split(':');
  return { source, target, readOnly: mode.split(',').includes('ro') };
}

let resolved: Compose;
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'sockeye-compose-'));
  const out = await compose(ROOT, 'docker-compose.yml', 'config');
  expect(out.code, out.stderr).toBe(0);
  resolved = parse(out.stdout) as Compose;
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe('docker-compose.yml', () => {
  it('is valid for docker-compose (config -q)', async () => {
    const out = await compose(ROOT, 'docker-compose.yml', 'config', '-q');
    expect(out.code, out.stderr).toBe(0);
  });

  it('config -q does reject a broken file (the check above can fail)', async () => {
    const text = await readFile(join(ROOT, 'docker-compose.yml'), 'utf8');
    const broken = join(tmp, 'docker-compose.yml');
    await writeFile(broken, text.replace('read_only: true', 'read_only: true\n    readonly_typo: true'));
    const out = await compose(tmp, broken, 'config', '-q');
    expect(out.code).not.toBe(0);
    expect(out.stderr).toContain('readonly_typo');
  });

  it('has the app, its sidecar and the monitoring stack', () => {
    expect(Object.keys(resolved.services).sort()).toEqual(['alertmanager', 'app', 'grafana', 'prometheus', 'sockeye']);
  });

  it('mounts only files and directories that exist, and named volumes it declares', () => {
    const missing: string[] = [];
    for (const [name, svc] of Object.entries(resolved.services)) {
      for (const spec of svc.volumes ?? []) {
        const { source } = splitVolume(spec);
        if (source.startsWith('/')) {
          if (!existsSync(source)) missing.push(`${name}: ${source}`);
        } else {
          expect(Object.keys(resolved.volumes ?? {}), `${name}: volume ${source}`).toContain(source);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('builds from directories that exist and hold a Dockerfile', () => {
    const builds = Object.entries(resolved.services).filter(([, s]) => s.build);
    expect(builds.map(([n]) => n).sort()).toEqual(['app', 'sockeye']);
    for (const [name, svc] of builds) {
      const dockerfile = join(svc.build!.context, svc.build!.dockerfile ?? 'Dockerfile');
      expect(existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);
    }
    expect(resolved.services.app!.build!.context).toBe(join(ROOT, 'examples/app'));
  });

  describe('the sockeye sidecar', () => {
    const sockeye = () => resolved.services.sockeye!;

    it("shares the app's pid namespace", () => {
      expect(sockeye().pid).toBe('service:app');
    });

    it('keeps only the two capabilities /proc/<pid>/fd needs, on a read-only filesystem with a tmpfs /tmp', () => {
      expect(sockeye().cap_drop).toEqual(['ALL']);
      expect([...(sockeye().cap_add ?? [])].sort()).toEqual(['DAC_READ_SEARCH', 'SYS_PTRACE']);
      expect(sockeye().security_opt).toContain('no-new-privileges:true');
      expect(sockeye().read_only).toBe(true);
      expect(sockeye().tmpfs).toContain('/tmp');
    });

    it("keeps the image's HEALTHCHECK, and gives the config where it looks (SOCKEYE_CONFIG, not --config)", () => {
      expect(sockeye().healthcheck).toBeUndefined();
      expect(sockeye().command ?? []).not.toContain('--config');
      expect(sockeye().environment?.SOCKEYE_CONFIG).toMatch(/^\//);
    });

    it('loads the mounted config, whose stateDir is the named volume', async () => {
      const configPath = sockeye().environment!.SOCKEYE_CONFIG!;
      expect(configPath).toMatch(/^\//);
      const mounts = (sockeye().volumes ?? []).map(splitVolume);
      const configMount = mounts.find((m) => m.target === configPath);
      expect(configMount?.readOnly).toBe(true);
      const config = parseConfig(await readFile(configMount!.source, 'utf8'), { source: configMount!.source, env: {} });
      expect(mounts.map((m) => m.target), 'a volume mounted at stateDir').toContain(config.stateDir);
      const stateMount = mounts.find((m) => m.target === config.stateDir);
      expect(Object.keys(resolved.volumes ?? {})).toContain(stateMount!.source);
    });
  });

  it("the mounted sockeye config passes the built CLI's check-config, with a deep protocol check and an http check", async () => {
    const { stdout } = await run(process.execPath, [CLI, 'check-config', join(ROOT, 'deploy/sockeye/sockeye.yml')]);
    expect(stdout).toMatch(/ok — 1 target\(s\), 2 check\(s\), 1 heartbeat\(s\)/);
    const config = parseConfig(await readFile(join(ROOT, 'deploy/sockeye/sockeye.yml'), 'utf8'), { env: {} });
    const protocol = config.checks.find((c) => c.type === 'tcp');
    expect(protocol?.tcp?.conversation.map((s) => ('send' in s ? `send ${s.send.trim()}` : `expect ${s.expect}`))).toEqual(['expect PLSAUTH', 'send RING', 'expect AHOY-HOY']);
    // Checks reach the app by its compose service name: the sidecar shares its pids, not its network.
    expect(protocol?.tcp?.address).toMatch(/^app:\d+$/);
    expect(config.checks.find((c) => c.type === 'http')?.http?.url).toMatch(/^http:\/\/app:\d+\//);
  });

  it('the sockeye CLI rejects that config when broken (the check above can fail)', async () => {
    const text = await readFile(join(ROOT, 'deploy/sockeye/sockeye.yml'), 'utf8');
    const broken = join(tmp, 'sockeye.yml');
    await writeFile(broken, text.replace('every: 15s', 'every: fortnightly'));
    const err = await run(process.execPath, [CLI, 'check-config', broken]).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/checks\[0\]\.every/);
  });

  describe('Grafana provisioning', () => {
    const grafana = () => resolved.services.grafana!;
    const mountAt = (target: string) => (grafana().volumes ?? []).map(splitVolume).find((m) => m.target === target);

    it('mounts the provisioning dir and the dashboards where the provider looks', async () => {
      const provisioning = mountAt('/etc/grafana/provisioning');
      expect(provisioning?.source).toBe(join(ROOT, 'deploy/grafana/provisioning'));
      const provider = parse(await readFile(join(ROOT, 'deploy/grafana/provisioning/dashboards/sockeye.yml'), 'utf8')) as {
        apiVersion: number;
        providers: Array<{ type: string; options: { path: string } }>;
      };
      expect(provider.apiVersion).toBe(1);
      expect(provider.providers).toHaveLength(1);
      expect(provider.providers[0]!.type).toBe('file');
      const dashboards = mountAt(provider.providers[0]!.options.path);
      expect(dashboards?.source).toBe(join(ROOT, 'dashboards'));
      expect(statSync(join(dashboards!.source, 'sockeye-process.json')).isFile()).toBe(true);
    });

    it('points the Prometheus datasource at the compose prometheus service', async () => {
      const ds = parse(await readFile(join(ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'), 'utf8')) as {
        apiVersion: number;
        datasources: Array<{ type: string; url: string; isDefault?: boolean }>;
      };
      expect(ds.apiVersion).toBe(1);
      const prom = ds.datasources.find((d) => d.type === 'prometheus');
      const url = new URL(prom!.url);
      expect(Object.keys(resolved.services)).toContain(url.hostname);
      expect(url.hostname).toBe('prometheus');
      expect(prom!.isDefault).toBe(true);
    });
  });

  it('gives Prometheus both shipped rule files (no kube-prometheus here to bring the pipeline alerts) and its config', () => {
    const mounts = (resolved.services.prometheus!.volumes ?? []).map(splitVolume);
    expect(mounts.find((m) => m.source === join(ROOT, 'alerts/sockeye.rules.yml'))?.readOnly).toBe(true);
    expect(mounts.find((m) => m.source === join(ROOT, 'alerts/pipeline.rules.yml'))?.readOnly).toBe(true);
    expect(mounts.find((m) => m.target === '/etc/prometheus/prometheus.yml')?.source).toBe(join(ROOT, 'deploy/prometheus/prometheus.yml'));
    const alertmanager = (resolved.services.alertmanager!.volumes ?? []).map(splitVolume);
    expect(alertmanager.find((m) => m.target === '/etc/alertmanager/alertmanager.yml')?.source).toBe(join(ROOT, 'deploy/alertmanager/alertmanager.yml'));
  });

  it("the mounted prometheus.yml loads the rules where they are mounted and scrapes the compose services", async () => {
    const prom = parse(await readFile(join(ROOT, 'deploy/prometheus/prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      alerting: { alertmanagers: Array<{ static_configs: Array<{ targets: string[] }> }> };
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const ruleTargets = (resolved.services.prometheus!.volumes ?? []).map(splitVolume).filter((m) => m.source.endsWith('.rules.yml'));
    const globs = prom.rule_files.map((g) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`));
    for (const m of ruleTargets) expect(globs.some((g) => g.test(m.target)), m.target).toBe(true);

    const services = Object.keys(resolved.services);
    const hosts = (targets: string[]) => targets.map((t) => t.split(':')[0]!);
    const scrape = (job: string) => hosts(prom.scrape_configs.find((s) => s.job_name === job)?.static_configs.flatMap((s) => s.targets) ?? []);
    expect(scrape('sockeye')).toEqual(['sockeye']);
    expect(services).toEqual(expect.arrayContaining([...scrape('sockeye'), ...scrape('alertmanager')]));
    const sockeyePort = Number(prom.scrape_configs.find((s) => s.job_name === 'sockeye')!.static_configs[0]!.targets[0]!.split(':')[1]);
    const config = parseConfig(await readFile(join(ROOT, 'deploy/sockeye/sockeye.yml'), 'utf8'), { env: {} });
    expect(config.listen.endsWith(`:${sockeyePort}`)).toBe(true);
    for (const host of hosts(prom.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets)))) expect(services).toContain(host);
  });
});
