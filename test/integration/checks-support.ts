import { readdirSync } from 'node:fs';
import { Registry } from 'prom-client';
import { stringify } from 'yaml';
import type { CheckConfig } from '../../src/config/checks.js';
import { parseConfig } from '../../src/config/load.js';
import { samples } from '../support/collection.js';

/** A check through the real config schema, as a user would write it. */
export function checkFrom(name: string, body: Record<string, unknown>, every = '10s'): CheckConfig {
  return parseConfig(stringify({ checks: [{ name, every, ...body }] }), { env: {} }).checks[0]!;
}

/** The value of the one sample of name with these labels (undefined when there is none). */
export async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number | undefined> {
  return (await samples(registry, name)).find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))?.value;
}

export function newRegistry(): Registry {
  return new Registry();
}

/** This process's open fds, as sockeye counts them. */
export function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}
