import fp from 'fastify-plugin';
import type { AppContext } from '../context.js';
import { readStatus } from '../status/gather.js';
import { pingFacts } from '../status/sources.js';
import { STATUS_PAGE_CSP, renderStatusPage } from '../status/page.js';
import { statusPageAccess } from './status-access.js';

// GET / (the page) and GET /api/status (the same as JSON), behind
// statusPageAccess (statusPage.enabled and statusPage.token).

export default fp<{ ctx: AppContext }>(async (app, { ctx }) => {
  const authorized = statusPageAccess(ctx);

  app.get('/api/status', { onRequest: authorized }, async () => readStatus(ctx));

  // The last pings of one heartbeat with their whole bodies (the report carries only their tails).
  app.get<{ Params: { name: string } }>('/api/heartbeats/:name/pings', { onRequest: authorized }, async (req, reply) => {
    const recent = ctx.heartbeats.recent(req.params.name);
    if (!recent) return reply.code(404).send({ error: 'unknown heartbeat' });
    return { heartbeat: req.params.name, pings: recent.map((p) => pingFacts(p, Infinity)) };
  });

  app.get('/', { onRequest: authorized }, async (_req, reply) => {
    const report = await readStatus(ctx);
    reply.type('text/html; charset=utf-8');
    reply.header('content-security-policy', STATUS_PAGE_CSP);
    reply.header('x-content-type-options', 'nosniff');
    return renderStatusPage(report);
  });
});
