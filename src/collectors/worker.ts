// Entry of the collection worker thread, for the text source (its fd walk
// and table reads are synchronous, tens of milliseconds on a large target)
// and for node mode (other network namespaces' tables are read
// synchronously with either source, seconds on a large node): neither may
// stall the checks and the scheduler heartbeat on the main thread. The same
// pipeline as on the main thread, over one source (and one socket-age
// tracker) kept for the worker's life.
import { parentPort } from 'node:worker_threads';
import type { CollectionSnapshot } from './snapshot.js';
import { collectTargets, type CollectOptions } from './pipeline.js';
import { SocketAgeTracker } from './socket-ages.js';
import { openSource, type KernelSource, type SourceKind } from './sources/index.js';

export interface WorkerRequest {
  id: number;
  options: CollectOptions;
  /** The source to open here (the same for the worker's life). */
  source: SourceKind;
}

export type WorkerReply = { id: number; snapshot: CollectionSnapshot } | { id: number; error: string };

let source: KernelSource | undefined;
// Socket ages across this worker's collections (a new worker starts afresh: ages are lower bounds).
let ages: SocketAgeTracker | undefined;

parentPort?.on('message', async ({ id, options, source: kind }: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    source ??= openSource(kind, options);
    if (ages?.longLivedAfterMs !== options.longLivedAfterMs) ages = new SocketAgeTracker(options.longLivedAfterMs);
    reply = { id, snapshot: await collectTargets(options, source, ages) };
  } catch (err) {
    reply = { id, error: (err as Error).stack ?? String(err) };
  }
  parentPort!.postMessage(reply);
});
