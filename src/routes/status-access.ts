import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { presentedToken, tokenMatches } from './token.js';

/**
 * The onRequest hook of everything the status page shows or is built from
 * (the page, /api/status, heartbeat pings, snapshots): not found unless
 * statusPage.enabled; behind statusPage.token when one is set. Read per
 * request: a reload turns the page on or off and rotates its token.
 */
export function statusPageAccess(ctx: AppContext) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
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
}
