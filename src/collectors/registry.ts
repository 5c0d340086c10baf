import type { Collector } from './context.js';
import { processCollector } from './process.js';
import { limitsCollector } from './limits.js';
import { fdCollector } from './fd.js';
import { socketsCollector } from './sockets.js';
import { memoryCollector } from './memory.js';
import { listenBacklogCollector } from './listen-backlog.js';

/**
 * Every collector by name, in run order (sockets needs fd's inodes, listen_backlog the sockets). The name
 * is the `collector` label of sockeye_scrape_collector_{duration_seconds,success}.
 */
export const COLLECTORS: ReadonlyMap<string, Collector> = new Map(
  [processCollector, limitsCollector, fdCollector, socketsCollector, listenBacklogCollector, memoryCollector].map((c) => [c.name, c]),
);

export const COLLECTOR_NAMES: readonly string[] = [...COLLECTORS.keys()];
