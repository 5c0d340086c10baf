import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Config } from './config/schema.js';
import type { AppContext } from './context.js';
import { chooseSource, createTargetCollection, logSourceChoice, type CollectionOptions } from './collectors/index.js';
import { createChecker } from './checks/index.js';
import { createHeartbeats } from './heartbeats/index.js';
import metricsRoutes from './routes/metrics.js';
import healthRoutes from './routes/health.js';
import pingRoutes from './routes/ping.js';
import debugRoutes from './routes/debug.js';
import statusRoutes from './routes/status.js';
import { lazySchemaCompilers } from './schema-compilers.js';

export interface BuildOptions {
  /** Fastify logger options; false silences (tests). */
  logger?: FastifyServerOptions['logger'];
  /** How targets are collected (default: the source chosen for procRoot). */
  collection?: CollectionOptions;
}

/** The whole sockeye app, not listening: tests use app.inject(). */
export async function buildApp(config: Config, options: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: options.logger ?? { level: config.logLevel },
    bodyLimit: 64 * 1024,
    // Scrapes every few seconds would drown the log; problems are logged where they happen.
    logController: new LogController({ disableRequestLogging: true }),
    // No route declares a schema: ajv and fast-json-stringify load only if one does.
    schemaController: { compilersFactory: lazySchemaCompilers() },
  });
  // A fresh registry per app: two apps in one process (tests) never share state.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // How collections run: the kernel source for procRoot, said once at startup.
  const source = chooseSource(config.procRoot, options.collection?.source);
  logSourceChoice(app.log, source);

  const ctx: AppContext = {
    config,
    registry,
    log: app.log,
    collection: createTargetCollection(config, registry, app.log, { ...options.collection, source: source.kind }),
    checker: createChecker(config, registry, app.log),
    heartbeats: await createHeartbeats(config, registry, app.log),
    startedAt: Date.now(),
  };

  await app.register(metricsRoutes, { ctx });
  await app.register(healthRoutes, { ctx });
  await app.register(pingRoutes, { ctx });
  await app.register(debugRoutes, { ctx });
  await app.register(statusRoutes, { ctx });

  app.addHook('onReady', async () => ctx.checker.start());
  app.addHook('onClose', async () => {
    await ctx.checker.stop();
    await ctx.collection.close();
    await ctx.heartbeats.close();
  });
  return app;
}
