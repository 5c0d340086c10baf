import { Worker, type ResourceLimits } from 'node:worker_threads';
import { withDeadline } from './deadline.js';
import type { CollectOptions } from './pipeline.js';
import type { CollectionSnapshot } from './snapshot.js';
import type { SourceKind } from './sources/index.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

/** A collection that did not finish in time (a /proc read stuck in the kernel). */
export class CollectionTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`collection did not finish within ${timeoutMs} ms`);
    this.name = 'CollectionTimeout';
  }
}

/**
 * The worker's V8 heap. Young generation: V8's default (tens of MiB) stays
 * resident once touched, in a thread idle between scrapes;
 * at 2 MiB a collection takes no longer (its garbage is short-lived strings
 * and small objects), and sockeye's RSS after scrapes of a 19,000-fd target
 * drops by ~35 MiB. Old generation: that collection needs ~4 MiB of heap over
 * the worker's own ~4 MiB; the net tables no longer enter the heap
 * (procfs/read.ts), so only the targets' fds grow it, ~200 bytes each
 * (sockets included): 128 MiB is room for ~500,000. A worker that grows past it
 * exits with ERR_WORKER_OUT_OF_MEMORY (that scrape is collected on the main
 * thread, the next starts a fresh worker). The bound must stay far above any
 * single allocation: Node lets a dying worker's heap pass its limit by only
 * 16 MiB, and an allocation larger than that aborts the whole process.
 */
export const WORKER_RESOURCE_LIMITS: ResourceLimits = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 128 };

/**
 * Runs collections in one long-lived worker thread, over a source of `kind`
 * opened there (the text source; node mode's either). Under
 * vitest/tsx the sources are TypeScript: the worker then registers tsx's
 * loader before importing its entry (execArgv --import does not reach
 * workers on Node 20).
 */
export class CollectionWorker {
  private worker: Worker | undefined;
  constructor(
    private readonly kind: SourceKind,
    private readonly resourceLimits: ResourceLimits = WORKER_RESOURCE_LIMITS,
  ) {}

  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (s: CollectionSnapshot) => void; reject: (e: Error) => void }>();

  private start(): Worker {
    const ts = import.meta.url.endsWith('.ts');
    const entry = new URL(ts ? './worker.ts' : './worker.js', import.meta.url);
    const { resourceLimits } = this;
    const worker = ts
      ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); })`, { eval: true, resourceLimits })
      : new Worker(entry, { resourceLimits });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const w = this.waiting.get(reply.id);
      if (!w) return;
      this.waiting.delete(reply.id);
      if ('error' in reply) w.reject(new Error(`collection failed: ${reply.error}`));
      else w.resolve(reply.snapshot);
    });
    const failAll = (err: Error) => {
      if (this.worker === worker) this.worker = undefined;
      for (const w of this.waiting.values()) w.reject(err);
      this.waiting.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`collection worker exited with code ${code}`)));
    return worker;
  }

  /**
   * One collection in the worker. After `timeoutMs` (a /proc read stuck in
   * the kernel, a hung FUSE or NFS path) the worker is abandoned — a thread
   * blocked in a syscall cannot be stopped — and the next call starts a new one.
   */
  collect(options: CollectOptions, timeoutMs: number): Promise<CollectionSnapshot> {
    this.worker ??= this.start();
    const id = this.nextId++;
    const worker = this.worker;
    const reply = new Promise<CollectionSnapshot>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    // Keep the process alive only while a collection is in flight.
    worker.ref();
    worker.postMessage({ id, options, source: this.kind } satisfies WorkerRequest);
    return withDeadline(reply, timeoutMs, () => {
      this.waiting.delete(id);
      if (this.worker === worker) this.worker = undefined;
      void worker.terminate();
      throw new CollectionTimeout(timeoutMs);
    }).finally(() => {
      if (this.waiting.size === 0 || this.worker !== worker) worker.unref();
    });
  }

  /** Stops the worker; a thread stuck in a syscall is not waited for beyond a second. */
  async close(): Promise<void> {
    const w = this.worker;
    this.worker = undefined;
    for (const waiting of this.waiting.values()) waiting.reject(new Error('collection worker closed'));
    this.waiting.clear();
    if (!w) return;
    w.unref();
    await withDeadline(w.terminate(), 1000, () => undefined);
  }
}
