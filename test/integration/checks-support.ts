import { readdirSync } from 'node:fs';
import type { FastifyBaseLogger } from 'fastify';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import type { CheckConfig } from '../../src/config/checks.js';
import { parseConfig } from '../../src/config/load.js';

/** A check through the real config schema, as a user would write it. */
export function checkFrom(name: string, body: Record<string, unknown>, every = '10s'): CheckConfig {
  return parseConfig(stringify({ checks: [{ name, every, ...body }] }), { env: {} }).checks[0]!;
}

/** A logger that keeps every line, so tests can look for leaked secrets. */
export function capturingLogger(): { log: FastifyBaseLogger; lines: string[] } {
  const lines: string[] = [];
  const write =
    (level: string) =>
    (...args: unknown[]) =>
      void lines.push(`${level} ${JSON.stringify(args)}`);
  const log = {
    level: 'trace',
    fatal: write('fatal'),
    error: write('error'),
    warn: write('warn'),
    info: write('info'),
    debug: write('debug'),
    trace: write('trace'),
    silent: () => undefined,
    child: () => log,
  } as unknown as FastifyBaseLogger;
  return { log, lines };
}

export async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return undefined;
  const { values } = await metric.get();
  return values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))?.value;
}

export function newRegistry(): Registry {
  return new Registry();
}

/** This process's open fds, as sockeye counts them. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}
