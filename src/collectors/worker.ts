// Entry of the collection worker thread: a large collection is tens of
// milliseconds of synchronous /proc reads, which must not stall the checks and
// the scheduler heartbeat on the main thread.
import { parentPort } from 'node:worker_threads';
import { collectTargets, type CollectOptions } from './collect.js';
import { SocketAgeTracker } from './socket-ages.js';

export interface WorkerRequest {
  id: number;
  options: CollectOptions;
}

export type WorkerReply = { id: number; snapshot: ReturnType<typeof collectTargets> } | { id: number; error: string };

// Socket ages across this worker's collections (a new worker starts afresh: ages are lower bounds).
let ages: SocketAgeTracker | undefined;

parentPort?.on('message', ({ id, options }: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    if (ages?.longLivedAfterMs !== options.longLivedAfterMs) ages = new SocketAgeTracker(options.longLivedAfterMs);
    reply = { id, snapshot: collectTargets(options, ages) };
  } catch (err) {
    reply = { id, error: (err as Error).stack ?? String(err) };
  }
  parentPort!.postMessage(reply);
});
