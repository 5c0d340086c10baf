import type { Registry } from 'prom-client';
import type { AppContext } from '../context.js';
import { VERSION } from '../version.js';
import { assembleStatus, type TargetFacts } from './assemble.js';
import type { StatusReport } from './schema.js';
import { checkFacts, heartbeatFacts, targetFacts } from './sources.js';

// The I/O half of the status report: asks the collectors, the checker, the
// heartbeats and the registry what they already know. Nothing here measures
// anything itself.

/** First sample of a gauge in the registry, undefined when absent or NaN. */
async function gauge(registry: Registry, name: string): Promise<number | undefined> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return undefined;
  const value = (await metric.get()).values[0]?.value;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

// A page refreshing every few seconds in several tabs shares scrapes'
// collections instead of adding its own.
const FRESH_ENOUGH_MS = 5000;

/** The targets, or why there are none: the page must render even when the collection fails. */
async function snapshot(ctx: AppContext, nowMs: number): Promise<{ targets: TargetFacts[]; problem?: string }> {
  const last = ctx.collection.last();
  try {
    const snap = last && nowMs - last.time < FRESH_ENOUGH_MS ? last : await ctx.collection.collect();
    return { targets: snap.targets.map(targetFacts) };
  } catch (err) {
    ctx.log.error({ err }, 'status page: target collection failed');
    return { targets: last ? last.targets.map(targetFacts) : [], problem: `target collection failed: ${(err as Error).message}${last ? ' (showing the previous one)' : ''}` };
  }
}

export async function readStatus(ctx: AppContext, nowMs = Date.now()): Promise<StatusReport> {
  const [snap, openFds, maxFds, rss] = await Promise.all([
    snapshot(ctx, nowMs),
    // prom-client's default metrics: sockeye's own process, read on demand.
    gauge(ctx.registry, 'process_open_fds'),
    gauge(ctx.registry, 'process_max_fds'),
    gauge(ctx.registry, 'process_resident_memory_bytes'),
  ]);
  const checker = ctx.checker.status();
  return assembleStatus({
    nowMs,
    version: VERSION,
    startedAtMs: ctx.startedAt,
    scheduler: { running: checker.scheduler.running, lastTickMs: checker.scheduler.lastTickAt, staleAfterSeconds: checker.scheduler.staleAfterSeconds },
    sockeye: {
      pid: process.pid,
      openFds: openFds ?? null,
      maxFds: maxFds ?? null,
      residentMemoryBytes: rss ?? null,
      uptimeSeconds: Math.max(0, (nowMs - ctx.startedAt) / 1000),
    },
    targets: snap.targets,
    sockeyeProblems: snap.problem ? [snap.problem] : [],
    checks: checker.checks.map(checkFacts),
    heartbeats: ctx.heartbeats.status(nowMs).map((h) => heartbeatFacts(h, nowMs)),
  });
}
