import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AppContext } from '../context.js';
import { readStatus } from '../status/gather.js';
import { pingFacts } from '../status/sources.js';
import { STATUS_PAGE_CSP, renderStatusPage } from '../status/page.js';
import { presentedToken, tokenMatches } from './token.js';

// GET / (the page) and GET /api/status (the same as JSON). Not found unless
// statusPage.enabled; behind statusPage.token when one is set. Both are read
// per request: a reload turns the page on or off and rotates its token.

export default fp<{ ctx: AppContext }>(async (app, { ctx }) => {
  const authorized = async (req: FastifyRequest, reply: FastifyReply) => {
    const { enabled, token } = ctx.config.statusPage;
    if (!enabled) return reply.callNotFound();
    reply.header('cache-control', 'no-store');
    if (token === undefined) return;
    const given = presentedToken(req);
    if (!tokenMatches(given, token)) {
      reply.code(401).header('www-authenticate', 'Bearer realm="sockeye status"');
      return reply.send({ error: 'unauthorized', reason: given === undefined ? 'this status page needs a token: Authorization: Bearer <token> or ?token=<token>' : 'wrong token' });
    }
  };

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
