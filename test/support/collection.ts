import type { FastifyBaseLogger } from 'fastify';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { Registry } from 'prom-client';
import { collectTargets, openSource, type CollectionSnapshot, type CollectOptions } from '../../src/collectors/index.js';

/** Every sample of one metric as {labels, value}, read from the registry (not from text). */
export async function samples(registry: Registry, name: string): Promise<Array<{ labels: Record<string, string | number>; value: number }>> {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name} in the registry`);
  const data = await metric.get();
  return data.values.map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

/** Samples of one metric as "label=value,..." → value, for exact comparison with toEqual. */
export async function sampleMap(registry: Registry, name: string, filter: Record<string, string> = {}): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const s of await samples(registry, name)) {
    if (Object.entries(filter).some(([k, v]) => String(s.labels[k]) !== v)) continue;
    const key = Object.entries(s.labels)
      .filter(([k]) => !(k in filter))
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    out[key] = s.value;
  }
  return out;
}

export interface LogLine {
  level: string;
  obj: unknown;
  msg: string;
}

/** A Fastify-compatible logger that keeps what was logged, for "logged once" assertions. */
export function captureLogger(): FastifyBaseLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: string) =>
    (obj: unknown, msg?: string): void => {
      lines.push({ level, obj, msg: typeof obj === 'string' ? obj : (msg ?? '') });
    };
  const log = {
    lines,
    level: 'trace',
    fatal: at('fatal'),
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    trace: at('trace'),
    silent: () => undefined,
    child: () => log,
  };
  return log as unknown as FastifyBaseLogger & { lines: LogLine[] };
}

/** The fixture proc tree (test/fixtures/proc, built by its make.sh) and its cgroup mount. */
export const FIXTURE_PROC_ROOT = fileURLToPath(new URL('../fixtures/proc', import.meta.url));
export const FIXTURE_CGROUP_ROOT = `${FIXTURE_PROC_ROOT}/sys-fs-cgroup`;

/** The config the fixture's expected numbers are worked out for: web (2 processes), worker (1), gone (none); topN 2. */
export function fixtureConfig(): Config {
  return parseConfig(`
procRoot: ${FIXTURE_PROC_ROOT}
cgroupRoot: ${FIXTURE_CGROUP_ROOT}
topN: 2
targets:
  - name: web
    match: { comm: "^web$" }
    processes: { min: 2 }
  - name: worker
    match: { cmdline: "worker\\\\.py" }
  - name: gone
    match: { pid: 4999 }
`);
}

/** One collection on this thread through the text source (the /proc files only): for fixture trees. */
export function collectText(options: CollectOptions): Promise<CollectionSnapshot> {
  return collectTargets(options, openSource('text', options));
}
