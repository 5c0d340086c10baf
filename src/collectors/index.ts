import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';

// STUB: the core collectors (issue 2) replace this.
export interface TargetCollection {
  /** One collection of every target; concurrent callers share the one in flight. */
  collect(): Promise<unknown>;
  close(): Promise<void>;
}

export function createTargetCollection(_config: Config, _registry: Registry, _log: FastifyBaseLogger): TargetCollection {
  return { collect: async () => undefined, close: async () => undefined };
}
