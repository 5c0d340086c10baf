// sockeye's collection in this process: the same TargetCollection the app
// uses, timed per collect(), with the event loop's worst delay recorded
// during each one (perf_hooks samples the loop every millisecond).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { Registry } from 'prom-client';
import type { FastifyBaseLogger } from 'fastify';
import { chooseSource, createTargetCollection, type CollectionSnapshot, type SourceKind } from '../../src/collectors/index.js';
import { configSchema, type ConfigInput } from '../../src/config/schema.js';
import { statPidFdCount } from '../../src/procfs/pid/fd.js';
import { max, median } from '../stats.js';

export interface CollectionFigures {
  /** The kernel source: native (this thread, libuv's pool) or text (the worker). */
  mode: string;
  /** Which fd walk that source uses. */
  fdWalk: 'native' | 'js';
  median: number;
  samples: number[];
  /**
   * Median CPU per collection, every thread of this process (user + system):
   * with the native source the dump runs beside the fd walk, so the
   * collection's time is shorter than the work it does; this is the work.
   */
  cpuMedian: number;
  /** Worst event-loop delay (ms) seen during any collection. */
  loopDelayMax: number;
  /** Median over collections of each one's worst delay (ms). */
  loopDelayMedian: number;
  /** Median ms per collector, as sockeye timed them itself (sockeye_scrape_collector_duration_seconds). */
  collectors: Record<string, number>;
  /** What the last collection found: proof it did the work. */
  found: { targets: number; processes: number; openFds: number; sockets: number; problems: Record<string, number> };
  /** Worst delay over the same time with no collection (with `controls`): what the machine alone does to the loop. */
  loopDelayIdleMax: number;
  /**
   * Worst delay while a worker thread only spins the CPU for as long as a
   * collection takes (with `controls`): on a machine with few cores, the
   * delay any busy thread causes, whatever it does.
   */
  loopDelayBusyMax: number;
}

export const quietLogger = (): FastifyBaseLogger => {
  const noop = () => {};
  const log = { level: 'silent', fatal: noop, error: noop, warn: noop, info: noop, debug: noop, trace: noop, silent: noop, child: () => log };
  return log as unknown as FastifyBaseLogger;
};

/**
 * `between` runs before each timed collection, outside the timing and the
 * loop-delay window: the floor is interleaved there, so both see the same
 * machine load.
 */
export async function timeCollection(pid: number, source: SourceKind | undefined, reps: number, warmup: number, between: () => void = () => {}, controls = false): Promise<CollectionFigures> {
  return timeConfiguredCollection({ targets: [{ name: 'bench', match: { pid } }] }, source, reps, warmup, between, controls);
}

/** timeCollection for any configuration (node mode, for one). */
export async function timeConfiguredCollection(input: ConfigInput, source: SourceKind | undefined, reps: number, warmup: number, between: () => void = () => {}, controls = false): Promise<CollectionFigures> {
  const config = configSchema.parse(input);
  const mode = chooseSource('/proc', source, config.mode).kind;
  const collection = createTargetCollection(config, new Registry(), quietLogger(), { source: mode });
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const samples: number[] = [];
  const cpu: number[] = [];
  const delays: number[] = [];
  const perCollector = new Map<string, number[]>();
  let found: CollectionFigures['found'] = { targets: 0, processes: 0, openFds: 0, sockets: 0, problems: {} };
  try {
    for (let i = -warmup; i < reps; i++) {
      if (i >= 0) between();
      histogram.reset();
      histogram.enable();
      // The histogram measures from its second tick on: let it tick before
      // the collection, or a loop blocked from the start goes unrecorded.
      await sleep(3);
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      const snap = await collection.collect();
      const t = performance.now() - t0;
      const c = process.cpuUsage(c0);
      // Let the loop turn once: a collection that blocked it is recorded when
      // the histogram's timer finally fires, after collect() returned.
      await sleep(2);
      histogram.disable();
      if (i >= 0) {
        samples.push(t);
        cpu.push((c.user + c.system) / 1000);
        // The histogram reports ns; with no sample yet (a collection shorter than 1 ms) max is 0.
        delays.push(histogram.max / 1e6);
        found = {
          targets: snap.targets.length,
          processes: snap.targets.reduce((n, t) => n + t.processes.length, 0),
          openFds: snap.targets.reduce((n, t) => n + (t.total.openFds ?? 0), 0),
          sockets: snap.targets.reduce((n, t) => n + t.total.sockets.reduce((m, c) => m + c.count, 0), 0),
          problems: problemCounts(snap.targets),
        };
        for (const c of snap.collectors) perCollector.set(c.name, [...(perCollector.get(c.name) ?? []), c.durationSeconds * 1000]);
      }
    }
  } finally {
    await collection.close();
  }
  let loopDelayIdleMax = NaN;
  let loopDelayBusyMax = NaN;
  if (controls) {
    histogram.reset();
    histogram.enable();
    await sleep(samples.reduce((a, b) => a + b, 0));
    histogram.disable();
    loopDelayIdleMax = histogram.max / 1e6;
    loopDelayBusyMax = await busyWorkerLoopDelay(median(samples), Math.min(reps, 10));
  }
  const collectors = Object.fromEntries([...perCollector].map(([name, ms]) => [name, median(ms)]));
  const fdWalk = mode === 'native' ? 'native' : 'js';
  return { mode, fdWalk, median: median(samples), samples, cpuMedian: median(cpu), loopDelayMax: max(delays), loopDelayMedian: median(delays), loopDelayIdleMax, loopDelayBusyMax, collectors, found };
}

/** Read problems of the collection by collector and kind ("process/error": 3): a collection that skipped work is not a fast one. */
function problemCounts(targets: CollectionSnapshot['targets']): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of targets) {
    for (const p of [...t.problems, ...t.processes.flatMap((x) => x.problems)]) {
      const key = `${p.collector}/${p.kind}`;
      out[key] = (out[key] ?? 0) + 1;
    }
  }
  return out;
}

/** Worst event-loop delay while a worker thread spins for `ms`, `reps` times. */
async function busyWorkerLoopDelay(ms: number, reps: number): Promise<number> {
  const worker = new Worker(
    `const { parentPort } = require('node:worker_threads');
     parentPort.on('message', (ms) => { const end = performance.now() + ms; while (performance.now() < end); parentPort.postMessage(0); });`,
    { eval: true },
  );
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const worst: number[] = [];
  try {
    for (let i = 0; i < reps; i++) {
      histogram.reset();
      histogram.enable();
      await sleep(3);
      await new Promise((resolve) => {
        worker.once('message', resolve);
        worker.postMessage(ms);
      });
      await sleep(2);
      histogram.disable();
      worst.push(histogram.max / 1e6);
    }
  } finally {
    await worker.terminate();
  }
  return max(worst);
}

/** The open-fd count without per-fd work (stat of /proc/PID/fd), as sockeye does it. */
export function timeStatCount(pid: number, reps: number): { median: number; count: number | undefined } {
  const samples: number[] = [];
  let count: number | undefined;
  for (let i = -3; i < reps; i++) {
    const t0 = performance.now();
    count = statPidFdCount('/proc', pid);
    if (i >= 0) samples.push(performance.now() - t0);
  }
  return { median: median(samples), count };
}
