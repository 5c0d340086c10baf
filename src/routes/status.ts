import fp from 'fastify-plugin';
import type { AppContext } from '../context.js';
import { statusPageAccess } from './status-access.js';

// GET / (the page) and GET /api/status (the same as JSON), behind
// statusPageAccess (statusPage.enabled and statusPage.token).
//
// What builds the report and the page (its script and styles, the report's
// code and schema: ~0.8 MiB of heap) is loaded by the first request: a
// sidecar only Prometheus scrapes never holds it.

export default fp<{ ctx: AppContext }>(async (app, { ctx }) => {
  const authorized = statusPageAccess(ctx);

  app.get('/api/status', { onRequest: authorized }, async () => (await import('../status/gather.js')).readStatus(ctx));

  // The last pings of one heartbeat with their whole bodies (the report carries only their tails).
  app.get<{ Params: { name: string } }>('/api/heartbeats/:name/pings', { onRequest: authorized }, async (req, reply) => {
    const recent = ctx.heartbeats.recent(req.params.name);
    if (!recent) return reply.code(404).send({ error: 'unknown heartbeat' });
    const { pingFacts } = await import('../status/sources.js');
    return { heartbeat: req.params.name, pings: recent.map((p) => pingFacts(p, Infinity)) };
  });

  app.get('/', { onRequest: authorized }, async (_req, reply) => {
    const [{ readStatus }, { STATUS_PAGE_CSP, renderStatusPage }] = await Promise.all([import('../status/gather.js'), import('../status/page.js')]);
    const report = await readStatus(ctx);
    reply.type('text/html; charset=utf-8');
    reply.header('content-security-policy', STATUS_PAGE_CSP);
    reply.header('x-content-type-options', 'nosniff');
    return renderStatusPage(report);
  });
});
