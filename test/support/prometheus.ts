/**
 * A real Prometheus (Debian's /usr/bin/prometheus) on a free 127.0.0.1 port
 * with a temp data dir, for the e2e tests and `npm run demo`.
 *
 *   const prom = await startPrometheus({ config: { global: {...}, scrape_configs: [...] }, rules: yamlText });
 *   await prom.query('up');            // instant vector
 *   await prom.alerts();               // /api/v1/alerts
 *   await prom.reload(otherConfig);    // rewrite prometheus.yml and POST /-/reload
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { spawnChild, untilReady, type Child } from './child.js';
import { getJson } from './poll.js';
import { freePort } from './sockeye.js';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? 'prometheus';

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface PromAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'pending' | 'firing';
  activeAt: string;
  value: string;
}

export interface Prometheus {
  url: string;
  port: number;
  dir: string;
  child: Child;
  /** Instant query; throws on a PromQL error. */
  query(expr: string, time?: number): Promise<Sample[]>;
  /** Range query (step in seconds). */
  queryRange(expr: string, start: number, end: number, step: number): Promise<Array<{ metric: Record<string, string>; values: Array<[number, string]> }>>;
  alerts(): Promise<PromAlert[]>;
  /** Rewrites the config file (rules file untouched unless given) and reloads. */
  reload(config: Record<string, unknown>, rules?: string): Promise<void>;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** prometheus.yml as an object; rule_files is set by this helper. */
  config: Record<string, unknown>;
  /** Rules file text (YAML). */
  rules?: string;
  /** Extra command-line flags. */
  args?: string[];
  readyTimeoutMs?: number;
}

interface ApiResponse<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
}

export async function startPrometheus(options: PrometheusOptions): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'sockeye-prom-'));
  const configPath = join(dir, 'prometheus.yml');
  const rulesPath = join(dir, 'rules.yml');
  const write = (config: Record<string, unknown>, rules?: string) => {
    if (rules !== undefined) writeFileSync(rulesPath, rules);
    writeFileSync(configPath, stringify({ ...config, rule_files: options.rules !== undefined || rules !== undefined ? [rulesPath] : [] }));
  };
  write(options.config, options.rules);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnChild('prometheus', PROMETHEUS_BIN, [
    `--config.file=${configPath}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
    '--log.level=warn',
    ...(options.args ?? []),
  ]);
  const api = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const body = await getJson<ApiResponse<T>>(`${url}${path}`, init);
    if (body.status !== 'success') throw new Error(`prometheus ${path}: ${body.error}`);
    return body.data;
  };
  const prom: Prometheus = {
    url,
    port,
    dir,
    child,
    async query(expr, time) {
      const params = new URLSearchParams({ query: expr, ...(time !== undefined ? { time: String(time) } : {}) });
      const data = await api<{ resultType: string; result: Sample[] }>(`/api/v1/query?${params}`);
      return data.result;
    },
    async queryRange(expr, start, end, step) {
      const params = new URLSearchParams({ query: expr, start: String(start), end: String(end), step: String(step) });
      const data = await api<{ result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> }>(`/api/v1/query_range?${params}`);
      return data.result;
    },
    async alerts() {
      return (await api<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts;
    },
    async reload(config, rules) {
      write(config, rules);
      const res = await fetch(`${url}/-/reload`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`prometheus reload failed: HTTP ${res.status} ${await res.text()}`);
    },
    async stop() {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await untilReady(child, `${url}/-/ready`, options.readyTimeoutMs ?? 30_000, () => prom.stop());
  return prom;
}
