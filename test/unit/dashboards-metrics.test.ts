// The metric names the dashboards may use must be the names a real sockeye
// exports: a dashboard built on a renamed metric draws empty panels.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { PROM_CLIENT_METRICS, SOCKEYE_METRICS } from '../../dashboards/known-metrics.js';
import { metricNames } from '../../dashboards/promql.js';
import { panelQueries, substituteVariables } from '../../dashboards/queries.js';

let app: FastifyInstance;
let stateDir: string;
let exported: Set<string>;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'sockeye-dash-metrics-'));
  // One of each kind, so every collector, the checker and the heartbeats
  // register their metrics. The check targets a closed loopback port.
  const config = parseConfig(
    `
stateDir: ${JSON.stringify(stateDir)}
logLevel: silent
targets:
  - name: self
    match: { pid: ${process.pid} }
checks:
  - name: closed-port
    every: 1h
    tcp: { address: "127.0.0.1:1" }
heartbeats:
  - name: nightly
    period: 1d
`,
    { env: {} },
  );
  app = await buildApp(config, { logger: false });
  const res = await app.inject({ method: 'GET', url: '/metrics' });
  expect(res.statusCode).toBe(200);
  exported = new Set([...res.body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
});

afterAll(async () => {
  await app?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe('dashboard metric names vs a real sockeye', () => {
  it('every contract name in the allowlist is exported', () => {
    expect(SOCKEYE_METRICS.filter((m) => !exported.has(m))).toEqual([]);
  });

  it('every prom-client name in the allowlist is exported', () => {
    expect(PROM_CLIENT_METRICS.filter((m) => !exported.has(m))).toEqual([]);
  });

  it('every sockeye_ metric a panel queries is exported', () => {
    const missing = panelQueries().flatMap((q) =>
      metricNames(substituteVariables(q.expr, { job: 'j', namespace: 'n', pod: 'p', container: 'c', instance: 'i', target: 't', check: 'c', heartbeat: 'h', prometheus: 'p', alertmanager: 'a' }))
        .filter((m) => m.startsWith('sockeye_') && !exported.has(m))
        .map((m) => `${q.dashboard}: ${q.panel}: ${m}`),
    );
    expect(missing).toEqual([]);
  });

  it('would notice a renamed metric', () => {
    expect(exported.has('sockeye_process_open_fds')).toBe(true);
    expect(exported.has('sockeye_process_open_fd')).toBe(false);
  });
});
