import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { ResourceLimits } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { isProcfs } from '../procfs/is-procfs.js';
import { describeFdWalk, fdAddon } from '../procfs/pid/fd-native.js';
import { collectTargets, collectTargetsAsync, type CollectOptions } from './collect.js';
import { ProblemLog } from './denials.js';
import { TargetMetrics } from './metrics.js';
import type { TargetSpec } from './resolve.js';
import type { CollectionSnapshot } from './snapshot.js';
import { COLLECTOR_NAMES } from './registry.js';
import { SocketAgeTracker } from './socket-ages.js';
import { readerIdentity } from './reader.js';
import { CollectionTimeout, CollectionWorker } from './worker-client.js';

export { collectTargets, collectTargetsAsync, collectPid, type CollectOptions } from './collect.js';
export type { TargetSpec } from './resolve.js';
export type * from './snapshot.js';
export { FD_TYPES, OTHER } from './snapshot.js';
export { explainDenied } from './reader.js';
export { COLLECTOR_NAMES } from './registry.js';

export interface TargetCollection {
  /** One collection of every target, metrics set from it; concurrent callers share the one in flight. */
  collect(): Promise<CollectionSnapshot>;
  /** The last finished collection (for the status page), if any. */
  last(): CollectionSnapshot | undefined;
  close(): Promise<void>;
}

export type CollectionMode = 'async' | 'worker' | 'inline';

export interface CollectionOptions {
  /**
   * async: on this thread, the long system calls in the native addon on
   * libuv's pool (the default where the addon is built and procRoot is a
   * procfs); worker: in a worker thread (the default otherwise: the JS fd walk
   * and the table reads are synchronous); inline: in this thread, blocking it
   * (tests, `inspect`).
   */
  mode?: CollectionMode;
  /** async and worker modes: give up on a collection after this long (default 30 s). */
  timeoutMs?: number;
  /** Worker mode: the worker's heap limits (default WORKER_RESOURCE_LIMITS; tests make them small). */
  workerResourceLimits?: ResourceLimits;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The configured targets as the collection takes them; undefined is the zero-config default. */
export function targetSpecs(config: Pick<Config, 'targets'>): TargetSpec[] | undefined {
  return config.targets?.map((t) => ({ name: t.name, match: t.match, processesMin: t.processes.min, processesMax: t.processes.max }));
}

export function collectOptions(config: Config): CollectOptions {
  return { procRoot: config.procRoot, cgroupRoot: config.cgroupRoot, topN: config.topN, targets: targetSpecs(config), selfPid: process.pid, longLivedAfterMs: config.leaks.longLivedAfter };
}

/** What a collection that timed out reports: the last targets seen, every collector failed. */
function timedOut(opts: CollectOptions, seconds: number, last: CollectionSnapshot | undefined): CollectionSnapshot {
  return {
    time: Date.now(),
    durationSeconds: seconds,
    procRoot: opts.procRoot,
    targets: last?.targets ?? [],
    collectors: ['targets', ...COLLECTOR_NAMES].map((name) => ({ name, durationSeconds: seconds, success: false })),
    problems: [],
    longLivedAfterSeconds: opts.longLivedAfterMs / 1000,
    vanished: 0,
    netnsRead: 0,
    reader: last?.reader ?? readerIdentity(),
  };
}

/** The mode a collection of `procRoot` runs in unless told otherwise. */
export function defaultCollectionMode(procRoot: string): CollectionMode {
  return fdAddon && isProcfs(procRoot) ? 'async' : 'worker';
}

/** One line for the startup log: how collections run, and which fd walk they use. */
export function describeCollection(mode: CollectionMode): string {
  const how =
    mode === 'async'
      ? 'on the main thread, the fd walk and the TCP socket dump in C on libuv\'s pool'
      : mode === 'worker'
        ? 'in a worker thread'
        : 'on the main thread, blocking it';
  return `collection: ${how}; ${describeFdWalk()}`;
}

/** Settles with `work`, or with CollectionTimeout after timeoutMs (the work itself cannot be stopped). */
function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CollectionTimeout(timeoutMs)), timeoutMs);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function createTargetCollection(config: Config, registry: Registry, log: FastifyBaseLogger, options: CollectionOptions = {}): TargetCollection {
  const metrics = new TargetMetrics(registry, { minLifetimeMs: config.restarts.minLifetime, replacedWithinMs: config.restarts.replacedWithin });
  const problems = new ProblemLog(log);
  const mode = options.mode ?? defaultCollectionMode(config.procRoot);
  const worker = mode === 'worker' ? new CollectionWorker(options.workerResourceLimits) : undefined;
  const collectOpts = collectOptions(config);
  // Socket ages of collections on this thread (the worker keeps its own).
  const ages = new SocketAgeTracker(collectOpts.longLivedAfterMs);
  let inFlight: Promise<CollectionSnapshot> | undefined;
  let closed = false;
  let last: CollectionSnapshot | undefined;

  async function run(): Promise<CollectionSnapshot> {
    let snap: CollectionSnapshot;
    if (mode !== 'inline') {
      try {
        const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
        snap = worker ? await worker.collect(collectOpts, timeoutMs) : await withTimeout(collectTargetsAsync(collectOpts, ages), timeoutMs);
      } catch (err) {
        if (err instanceof CollectionTimeout) {
          // Stuck in the kernel: collecting here would block this thread too. The
          // target series keep their last values; every collector reports failure.
          log.error({ err }, `${err.message}: a /proc read is stuck; target metrics are stale, sockeye_scrape_collector_success is 0`);
          const failed = timedOut(collectOpts, err.timeoutMs / 1000, last);
          metrics.applyCollectors(failed);
          return failed;
        }
        if (closed) return timedOut(collectOpts, 0, last);
        // A broken worker (or async collection) must not turn a scrape into a 500: collect here this once.
        log.error({ err }, `${worker ? 'collection worker' : 'async collection'} failed; collecting on the main thread`);
        snap = collectTargets(collectOpts, ages);
      }
    } else {
      snap = collectTargets(collectOpts, ages);
    }
    metrics.apply(snap);
    problems.observe(snap);
    last = snap;
    return snap;
  }

  return {
    collect() {
      inFlight ??= run().finally(() => {
        inFlight = undefined;
      });
      return inFlight;
    },
    last: () => last,
    close: async () => {
      closed = true;
      await worker?.close();
      await inFlight?.catch(() => undefined);
    },
  };
}
