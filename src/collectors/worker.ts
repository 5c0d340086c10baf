// Entry of the collection worker thread, for the text source: its fd walk
// and table reads are synchronous, tens of milliseconds on a large target,
// which must not stall the checks and the scheduler heartbeat on the main
// thread. The same pipeline as on the main thread, over one text source
// kept for the worker's life.
import { parentPort } from 'node:worker_threads';
import type { CollectionSnapshot } from './snapshot.js';
import { collectTargets, type CollectOptions } from './pipeline.js';
import { openSource, type KernelSource } from './sources/index.js';

export interface WorkerRequest {
  id: number;
  options: CollectOptions;
}

export type WorkerReply = { id: number; snapshot: CollectionSnapshot } | { id: number; error: string };

let source: KernelSource | undefined;

parentPort?.on('message', async ({ id, options }: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    source ??= openSource('text', options);
    reply = { id, snapshot: await collectTargets(options, source) };
  } catch (err) {
    reply = { id, error: (err as Error).stack ?? String(err) };
  }
  parentPort!.postMessage(reply);
});
