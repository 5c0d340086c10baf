import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { registerBuildInfo } from './build-info.js';
import { registerExternalUrlInfo } from './external-url-info.js';
import type { Config } from './config/schema.js';
import type { AppContext } from './context.js';
import { createTargetCollection, type CollectionOptions } from './collectors/index.js';
import { createChecker } from './checks/index.js';
import { createHeartbeats } from './heartbeats/index.js';
import metricsRoutes from './routes/metrics.js';
import healthRoutes from './routes/health.js';
import pingRoutes from './routes/ping.js';
import debugRoutes from './routes/debug.js';
import statusRoutes from './routes/status.js';
import snapshotChangesRoutes from './routes/snapshot-changes.js';
import snapshotRoutes from './routes/snapshots.js';
import { createSnapshots } from './snapshots/index.js';
import { lazySchemaCompilers } from './schema-compilers.js';
import { createReloader, type Reloader } from './reload.js';
import lifecycleRoutes from './routes/lifecycle.js';
import type { WebConfig } from './web-config/load.js';
import { requireCjs } from './require-cjs.js';

const { default: Fastify, LogController } = requireCjs('fastify') as typeof import('fastify');

export interface BuildOptions {
  /** Fastify logger options; false silences (tests). */
  logger?: FastifyServerOptions['logger'];
  /** How targets are collected (default: the source chosen for procRoot; the CLI chooses it to say so in its startup line). */
  collection?: CollectionOptions;
  /** --web.config.file, loaded: TLS, basic auth, headers and rate limit for every endpoint. */
  web?: WebConfig;
  /** Reads and validates the config file again (undefined: started without one). */
  loadConfig?: () => Promise<Config>;
  /** --web.enable-lifecycle: POST /-/reload reloads (off: it answers 403). */
  enableLifecycle?: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Config reload (SIGHUP, POST /-/reload): validated first, the old config kept when the new one is refused. */
    reloadConfig: Reloader['reload'];
  }
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
    // https when the web config has TLS.
    ...(options.web?.tls ? { https: options.web.tls.options } : {}),
  }) as FastifyInstance;
  // A fresh registry per app: two apps in one process (tests) never share state.
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerBuildInfo(registry);

  const collection = createTargetCollection(config, registry, app.log, options.collection);
  const ctx: AppContext = {
    config,
    registry,
    log: app.log,
    collection,
    checker: createChecker(config, registry, app.log),
    heartbeats: await createHeartbeats(config, registry, app.log),
    snapshots: await createSnapshots(config, registry, app.log, collection),
    startedAt: Date.now(),
  };
  registerExternalUrlInfo(registry, () => ctx.config.externalUrl);
  collection.onCollected((snap) => ctx.snapshots.observe(snap));

  // Before every route, so nothing is served around it; loaded only with a
  // web config, so a server without one never holds bcrypt.
  if (options.web) await app.register((await import('./web-config/server.js')).default, { web: options.web });
  await app.register(metricsRoutes, { ctx });
  await app.register(healthRoutes, { ctx });
  await app.register(pingRoutes, { ctx });
  await app.register(debugRoutes, { ctx });
  await app.register(statusRoutes, { ctx });
  await app.register(snapshotRoutes, { ctx });
  await app.register(snapshotChangesRoutes, { ctx });
  const reloader = createReloader(ctx, options.loadConfig);
  app.decorate('reloadConfig', () => reloader.reload());
  await app.register(lifecycleRoutes, { reloader, enabled: options.enableLifecycle ?? false });

  app.addHook('onReady', async () => ctx.checker.start());
  app.addHook('onClose', async () => {
    await ctx.checker.stop();
    await ctx.collection.close();
    await ctx.snapshots.close();
    await ctx.heartbeats.close();
  });
  return app;
}
