import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';

// STUB: external heartbeats (issue 3) replace this.
export interface Heartbeats {
  close(): Promise<void>;
}

export async function createHeartbeats(_config: Config, _registry: Registry, _log: FastifyBaseLogger): Promise<Heartbeats> {
  return { close: async () => undefined };
}
