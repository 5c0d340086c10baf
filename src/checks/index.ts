import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from '../config/schema.js';

// STUB: the checker (issue 3) replaces this.
export interface HealthReport {
  ok: boolean;
  problems: string[];
}

export interface Checker {
  start(): void;
  stop(): Promise<void>;
  /** Deep health: scheduler heartbeat and every check's last run fresh enough. */
  health(nowMs: number): HealthReport;
}

export function createChecker(_config: Config, _registry: Registry, _log: FastifyBaseLogger): Checker {
  return { start() {}, stop: async () => undefined, health: () => ({ ok: true, problems: [] }) };
}
