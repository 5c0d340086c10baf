import fp from 'fastify-plugin';
import type { AppContext } from '../context.js';
import { CONTENT_TYPES, negotiateFormat } from '../exposition/negotiate.js';
import { serializeOpenMetrics, type MetricFamilyJSON } from '../exposition/openmetrics.js';

// GET /metrics: one fresh collection (shared with concurrent scrapes), then the
// registry in the format the Accept header prefers.
export default fp<{ ctx: AppContext }>(async (app, { ctx }) => {
  app.get('/metrics', async (req, reply) => {
    await ctx.collection.collect();
    const format = negotiateFormat(req.headers.accept);
    // Caches must not serve one scraper's format to another.
    reply.header('vary', 'Accept');
    reply.type(CONTENT_TYPES[format]);
    if (format === 'openmetrics') {
      return serializeOpenMetrics(await ctx.registry.getMetricsAsJSON());
    }
    return ctx.registry.metrics();
  });
});
