import type { Registry } from 'prom-client';
import type { AppContext } from '../context.js';
import { VERSION } from '../version.js';
import { assembleStatus, type CheckFacts, type HeartbeatFacts, type TargetFacts } from './assemble.js';
import type { StatusReport } from './schema.js';

// The I/O half of the status report: asks the collectors, the checker and
// the registry what they already know. Nothing here measures anything itself.

/** First sample of a gauge in the registry, undefined when absent or NaN. */
async function gauge(registry: Registry, name: string): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return undefined;
  const value = (await metric.get()).values[0]?.value;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export interface StatusSources {
  targets(): Promise<TargetFacts[]>;
  checks(): CheckFacts[];
  heartbeats(nowMs: number): HeartbeatFacts[];
}

export async function readStatus(ctx: AppContext, sources: StatusSources, nowMs = Date.now()): Promise<StatusReport> {
  const [targets, tick, openFds, maxFds, rss] = await Promise.all([
    sources.targets(),
    gauge(ctx.registry, 'sockeye_scheduler_heartbeat_timestamp_seconds'),
    // prom-client's default metrics: sockeye's own process, read on demand.
    gauge(ctx.registry, 'process_open_fds'),
    gauge(ctx.registry, 'process_max_fds'),
    gauge(ctx.registry, 'process_resident_memory_bytes'),
  ]);
  return assembleStatus({
    nowMs,
    version: VERSION,
    startedAtMs: ctx.startedAt,
    schedulerTickMs: tick === undefined || tick <= 0 ? undefined : tick * 1000,
    sockeye: {
      pid: process.pid,
      openFds: openFds ?? null,
      maxFds: maxFds ?? null,
      residentMemoryBytes: rss ?? null,
      uptimeSeconds: Math.max(0, (nowMs - ctx.startedAt) / 1000),
    },
    targets,
    checks: sources.checks(),
    heartbeats: sources.heartbeats(nowMs),
  });
}
