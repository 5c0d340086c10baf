import fp from 'fastify-plugin';
import type { AppContext } from '../context.js';

// STUB for the core (issue 2): text format only; OpenMetrics negotiation to come.
export default fp<{ ctx: AppContext }>(async (app, { ctx }) => {
  app.get('/metrics', async (_req, reply) => {
    await ctx.collection.collect();
    reply.type(ctx.registry.contentType);
    return ctx.registry.metrics();
  });
});
