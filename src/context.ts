import type { FastifyBaseLogger } from 'fastify';
import type { Registry } from 'prom-client';
import type { Config } from './config/schema.js';
import type { TargetCollection } from './collectors/index.js';
import type { Checker } from './checks/index.js';
import type { Heartbeats } from './heartbeats/index.js';
import type { Snapshots } from './snapshots/index.js';

/** What the routes of one app share. One per buildApp(), never global. */
export interface AppContext {
  config: Config;
  registry: Registry;
  log: FastifyBaseLogger;
  collection: TargetCollection;
  checker: Checker;
  heartbeats: Heartbeats;
  snapshots: Snapshots;
  startedAt: number;
}
