import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { AppContext } from '../context.js';
import type { PingKind } from '../heartbeats/index.js';
import { presentedToken } from './token.js';

/** Ping bodies (a job's output) are accepted but small; they are never logged. */
export const PING_BODY_LIMIT = 10 * 1024;

interface PingParams {
  name: string;
  action?: string;
}

/** start, fail, or an exit status (0 = success, else failure); undefined when not a ping URL. */
export function parsePingAction(action: string | undefined): { kind: PingKind; exitStatus?: number } | undefined {
  if (action === undefined || action === '') return { kind: 'success' };
  if (action === 'start') return { kind: 'start' };
  if (action === 'fail') return { kind: 'fail' };
  if (/^\d{1,3}$/.test(action) && Number(action) <= 255) {
    const exitStatus = Number(action);
    return { kind: exitStatus === 0 ? 'success' : 'fail', exitStatus };
  }
  return undefined;
}

// The URL shapes of healthchecks.io, so cron wrappers only change their base URL.
export default fp<{ ctx: AppContext }>(async (app, { ctx }) => {
  // Encapsulated: the catch-all body parser and error handler apply to pings only.
  await app.register(async (scope) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: PING_BODY_LIMIT }, (_req, body, done) => done(null, body));
    scope.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, _req, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return reply.code(413).send({ error: `request body larger than ${PING_BODY_LIMIT} bytes` });
      }
      const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
      if (status === 500) ctx.log.error({ error: err.message }, 'ping failed');
      return reply.code(status).send({ error: status === 500 ? 'internal error' : err.message });
    });

    const handler = async (req: FastifyRequest<{ Params: PingParams }>, reply: FastifyReply) => {
      const { name, action } = req.params;
      const parsed = parsePingAction(action);
      if (!parsed) {
        return reply.code(404).send({ error: `unknown ping action ${JSON.stringify(action)}; expected start, fail or an exit status 0-255` });
      }
      const auth = ctx.heartbeats.authorize(name, presentedToken(req));
      if (auth === 'unknown') return reply.code(404).send({ error: `unknown heartbeat ${JSON.stringify(name)}` });
      if (auth === 'unauthorized') {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong token (Authorization: Bearer or ?token=)' });
      }
      try {
        await ctx.heartbeats.ping(name, parsed.kind, parsed.exitStatus);
      } catch (err) {
        ctx.log.error({ heartbeat: name, error: (err as Error).message }, 'could not persist heartbeat ping');
        return reply.code(503).send({ error: 'could not store the ping durably; retry' });
      }
      return reply.type('text/plain; charset=utf-8').send('OK');
    };
    for (const url of ['/ping/:name', '/ping/:name/:action']) {
      scope.route<{ Params: PingParams }>({ method: ['GET', 'POST'], url, exposeHeadRoute: false, handler });
    }
  });
});
