import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { ResourceLimits } from 'node:worker_threads';
import type { Config } from '../config/schema.js';
import { kubeAccess } from '../config/node.js';
import { withDeadline } from './deadline.js';
import type { PodLister } from './kube-pods.js';
import { TargetMetrics } from './metrics.js';
import { readOwnCapabilities } from './own-capabilities.js';
import { collectTargets, STAGE_NAMES, type CollectOptions } from './pipeline.js';
import { ProblemLog } from './problem-log.js';
import type { TargetSpec } from './resolve.js';
import type { CollectionSnapshot } from './snapshot.js';
import { SocketAgeTracker } from './socket-ages.js';
import { chooseSource, openSource, type KernelSource, type SourceKind } from './sources/index.js';
import { CollectionTimeout, CollectionWorker } from './worker-client.js';

export { collectTargets, pidTarget, type CollectOptions } from './pipeline.js';
export type { TargetSpec } from './resolve.js';
export type * from './snapshot.js';
export { FD_TYPES, OTHER } from './snapshot.js';
export { explainDenied } from './own-capabilities.js';
export { chooseSource, describeSource, openSource, type KernelSource, type SourceChoice, type SourceKind } from './sources/index.js';
export { SocketAgeTracker } from './socket-ages.js';

export interface TargetCollection {
  /** One collection of every target, metrics set from it; concurrent callers share the one in flight. */
  collect(): Promise<CollectionSnapshot>;
  /** The last finished collection (for the status page), if any. */
  last(): CollectionSnapshot | undefined;
  /** Takes new targets and topN (config reload) from the next collection on; a removed target's series go with it. */
  reconfigure(config: Config): void;
  /** Calls listener with each finished collection (not those that timed out); a listener's error is logged, never the scrape's. */
  onCollected(listener: (snap: CollectionSnapshot) => void): void;
  close(): Promise<void>;
}

export interface CollectionOptions {
  /** The kernel source (default: chooseSource's: native where the addon loads and procRoot is a procfs, else text). */
  source?: SourceKind;
  /** Give up on a collection after this long (default 30 s). */
  timeoutMs?: number;
  /** Text source: the worker's heap limits (default WORKER_RESOURCE_LIMITS; tests make them small). */
  workerResourceLimits?: ResourceLimits;
}

const DEFAULT_TIMEOUT_MS = 30_000;

/** The configured targets as the collection takes them; undefined is the zero-config default. */
function targetSpecs(config: Pick<Config, 'targets'>): TargetSpec[] | undefined {
  return config.targets?.map((t) => ({ name: t.name, match: t.match, processesMin: t.processes.min, processesMax: t.processes.max }));
}

export function collectOptions(config: Config): CollectOptions {
  return {
    procRoot: config.procRoot,
    cgroupRoot: config.cgroupRoot,
    topN: config.topN,
    targets: targetSpecs(config),
    selfPid: process.pid,
    maxGroups: config.maxGroups,
    longLivedAfterMs: config.leaks.longLivedAfter,
    hostCgroups: config.mode === 'node',
    node: config.mode === 'node' ? { maxContainers: config.node.maxContainers, outsidePods: config.node.outsidePods, include: config.node.include, exclude: config.node.exclude } : undefined,
    pictures: config.snapshots.enabled,
  };
}

/**
 * Node mode with kubernetes.enabled: the pod list, read now and then (the
 * settings were checked at startup). Its client is loaded only then: a
 * sidecar never holds it.
 */
async function podLister(config: Config, log: FastifyBaseLogger): Promise<PodLister | undefined> {
  if (config.mode !== 'node' || !config.node.kubernetes.enabled) return undefined;
  const access = kubeAccess(config.node.kubernetes, process.env);
  if (Array.isArray(access)) {
    log.error({ problems: access }, `node.kubernetes: ${access.join('; ')}; targets keep their pod UID names`);
    return undefined;
  }
  const { PodLister } = await import('./kube-pods.js');
  return new PodLister(access, log);
}

/** What a collection that timed out reports: the last targets seen, every stage failed. */
function timedOut(opts: CollectOptions, seconds: number, last: CollectionSnapshot | undefined): CollectionSnapshot {
  return {
    time: Date.now(),
    durationSeconds: seconds,
    procRoot: opts.procRoot,
    targets: last?.targets ?? [],
    collectors: ['targets', ...STAGE_NAMES].map((name) => ({ name, durationSeconds: seconds, success: false })),
    problems: [],
    longLivedAfterSeconds: opts.longLivedAfterMs / 1000,
    vanished: 0,
    netnsRead: 0,
    reader: last?.reader ?? readOwnCapabilities(),
  };
}

/**
 * The collection behind /metrics and the status page: the pipeline over the
 * source chosen here once, on this thread for the native source (its long
 * calls are on libuv's pool), in a worker thread for the text source.
 */
export function createTargetCollection(initial: Config, registry: Registry, log: FastifyBaseLogger, options: CollectionOptions = {}): TargetCollection {
  let config = initial;
  const metrics = new TargetMetrics(registry, { minLifetimeMs: config.restarts.minLifetime, replacedWithinMs: config.restarts.replacedWithin }, config.mode === 'node');
  const problems = new ProblemLog(log);
  let current = collectOptions(config);
  const choice = chooseSource(config.procRoot, options.source, config.mode);
  const source: KernelSource | undefined = choice.worker ? undefined : openSource(choice.kind, current);
  const worker = choice.worker ? new CollectionWorker(choice.kind, options.workerResourceLimits) : undefined;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // Socket ages of collections on this thread (the worker keeps its own).
  const ages = new SocketAgeTracker(current.longLivedAfterMs);
  let here: KernelSource | undefined;
  let inFlight: Promise<CollectionSnapshot> | undefined;
  let closed = false;
  let last: CollectionSnapshot | undefined;
  let pods = podLister(config, log);
  const listeners: Array<(snap: CollectionSnapshot) => void> = [];

  async function run(): Promise<CollectionSnapshot> {
    // The options this collection runs with, even if a reload comes while it runs.
    const collectOpts = current;
    let snap: CollectionSnapshot;
    const lister = await pods;
    if (lister) await lister.ready;
    const runOpts = lister && collectOpts.node ? { ...collectOpts, node: { ...collectOpts.node, pods: lister.pods() } } : collectOpts;
    try {
      snap = worker
        ? await worker.collect(runOpts, timeoutMs)
        : await withDeadline(collectTargets(runOpts, source!, ages), timeoutMs, () => {
            throw new CollectionTimeout(timeoutMs);
          });
    } catch (err) {
      if (err instanceof CollectionTimeout) {
        // Stuck in the kernel: the target series keep their last values; every stage reports failure.
        log.error({ err }, `${err.message}: a /proc read is stuck; target metrics are stale, sockeye_scrape_collector_success is 0`);
        const failed = timedOut(collectOpts, err.timeoutMs / 1000, last);
        metrics.applyCollectors(failed);
        return failed;
      }
      if (closed) return timedOut(collectOpts, 0, last);
      // A worker that died (out of heap) must not turn a scrape into a 500:
      // this one is collected here, blocking; the next starts a fresh worker.
      log.error({ err }, 'collection worker failed; collecting on the main thread');
      here ??= openSource('text', collectOpts);
      snap = await collectTargets(runOpts, here, ages);
    }
    // A pod or container the list does not have yet (started or restarted since it was read): ask again.
    if (lister && snap.targets.some((t) => t.kube !== undefined && t.kube.podUid !== '' && t.kube.container === '')) lister.unknownPodSeen();
    metrics.apply(snap);
    // Reloaded meanwhile: what this collection set for a target since removed goes now.
    if (collectOpts !== current) metrics.reconfigure(collectOpts.targets, current.targets);
    problems.observe(snap);
    last = snap;
    for (const listener of listeners) {
      try {
        listener(snap);
      } catch (err) {
        log.error({ err }, 'collection listener failed');
      }
    }
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
    reconfigure(next) {
      const before = current.targets;
      if (JSON.stringify(next.node.kubernetes) !== JSON.stringify(config.node.kubernetes)) {
        void pods.then((p) => p?.close());
        pods = podLister(next, log);
      }
      config = next;
      current = collectOptions(next);
      metrics.reconfigure(before, current.targets);
    },
    onCollected: (listener) => listeners.push(listener),
    close: async () => {
      closed = true;
      (await pods)?.close();
      await worker?.close();
      await inFlight?.catch(() => undefined);
    },
  };
}
