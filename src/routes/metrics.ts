import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import type { AppContext } from '../context.js';
import type { CollectionSnapshot } from '../collectors/index.js';
import { CONTENT_TYPES, negotiateFormat, type Format } from '../exposition/negotiate.js';
import { serializeOpenMetrics } from '../exposition/openmetrics.js';

// GET /metrics: one fresh collection (shared with concurrent scrapes), then the
// registry in the format the Accept header prefers.
export default fp<{ ctx: AppContext }>(async (app, { ctx }) => {
  // Scrapes that shared a collection share its text too: rendered once per
  // format, not once per scraper (50 scrapers would otherwise queue behind 50
  // renders of the same registry on this thread).
  const rendered = new WeakMap<CollectionSnapshot, Map<Format, Promise<string>>>();
  const render = (format: Format): Promise<string> =>
    format === 'openmetrics' ? ctx.registry.getMetricsAsJSON().then(serializeOpenMetrics) : ctx.registry.metrics();
  // What a scrape costs Prometheus, so a node agent's growth (containers ×
  // top-N rows) shows before it hurts: counted once per collection, before
  // its first render, itself included.
  const series = new Gauge({ name: 'sockeye_scrape_series', help: 'Series in this exposition (samples, histogram buckets included), counted when the collection behind it finished.', registers: [ctx.registry] });
  const counted = new WeakMap<CollectionSnapshot, Promise<void>>();
  const count = async (): Promise<void> => {
    series.set(0);
    let n = 0;
    for (const m of await ctx.registry.getMetricsAsJSON()) n += m.values.length;
    series.set(n);
  };

  app.get('/metrics', async (req, reply) => {
    const snap = await ctx.collection.collect();
    const format = negotiateFormat(req.headers.accept);
    // Caches must not serve one scraper's format to another.
    reply.header('vary', 'Accept');
    reply.type(CONTENT_TYPES[format]);
    let done = counted.get(snap);
    if (!done) counted.set(snap, (done = count()));
    await done;
    let bodies = rendered.get(snap);
    if (!bodies) rendered.set(snap, (bodies = new Map()));
    let body = bodies.get(format);
    if (!body) bodies.set(format, (body = render(format)));
    return body;
  });
});
