// Entry of the collection worker thread: a large collection is tens of
// milliseconds of synchronous /proc reads, which must not stall the checks and
// the scheduler heartbeat on the main thread.
import { parentPort } from 'node:worker_threads';
import { collectTargets, type CollectOptions } from './collect.js';

export interface WorkerRequest {
  id: number;
  options: CollectOptions;
}

export type WorkerReply = { id: number; snapshot: ReturnType<typeof collectTargets> } | { id: number; error: string };

parentPort?.on('message', ({ id, options }: WorkerRequest) => {
  let reply: WorkerReply;
  try {
    reply = { id, snapshot: collectTargets(options) };
  } catch (err) {
    reply = { id, error: (err as Error).stack ?? String(err) };
  }
  parentPort!.postMessage(reply);
});
