import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { UUID } from '../config/heartbeats.js';
import type { AppContext } from '../context.js';
import type { PingKind, PingTarget } from '../heartbeats/index.js';
import { presentedToken } from './token.js';

/** healthchecks.io's limit for a ping body; sockeye keeps it (see BODY_BYTES_PER_HEARTBEAT), never logs it. */
export const PING_BODY_LIMIT = 100_000;

interface PingParams {
  a: string;
  b?: string;
  c?: string;
}

/** start, fail, log, or an exit status (0 = success, else failure); undefined when not a ping URL. */
export function parsePingAction(action: string | undefined): { kind: PingKind; exitStatus?: number } | undefined {
  if (action === undefined || action === '') return { kind: 'success' };
  if (action === 'start') return { kind: 'start' };
  if (action === 'fail') return { kind: 'fail' };
  if (action === 'log') return { kind: 'log' };
  if (/^\d{1,3}$/.test(action) && Number(action) <= 255) {
    const exitStatus = Number(action);
    return { kind: exitStatus === 0 ? 'success' : 'fail', exitStatus };
  }
  return undefined;
}

/**
 * Which heartbeat and action a ping URL names: /ping/<name|uuid>[/<action>]
 * or /ping/<ping-key>/<slug>[/<action>]. isPingKey tells the two-segment
 * shapes apart.
 */
export function parsePingPath(p: PingParams, isPingKey: (segment: string) => boolean): { target: PingTarget; action: string | undefined } | undefined {
  if (p.b !== undefined && isPingKey(p.a)) return { target: { by: 'slug', key: p.a, slug: p.b }, action: p.c };
  if (p.c !== undefined) return undefined;
  const target: PingTarget = UUID.test(p.a.toLowerCase()) ? { by: 'uuid', uuid: p.a.toLowerCase() } : { by: 'name', name: p.a };
  return { target, action: p.b };
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

    const handler = async (req: FastifyRequest<{ Params: PingParams; Querystring: Record<string, string | string[] | undefined> }>, reply: FastifyReply) => {
      const where = parsePingPath(req.params, (s) => ctx.heartbeats.isPingKey(s));
      const parsed = where && parsePingAction(where.action);
      if (!where || !parsed) {
        return reply.code(404).send({ error: `unknown ping action ${JSON.stringify(where?.action ?? req.params.c)}; expected start, fail, log or an exit status 0-255` });
      }
      const rid = req.query.rid;
      if (rid !== undefined && (typeof rid !== 'string' || !UUID.test(rid.toLowerCase()))) {
        return reply.code(400).send({ error: 'invalid rid: expected one UUID' });
      }
      const found = ctx.heartbeats.resolve(where.target, presentedToken(req));
      if (found === 'unknown') return reply.code(404).send({ error: 'unknown heartbeat' });
      if (found === 'unauthorized') {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong token (Authorization: Bearer or ?token=)' });
      }
      const body = Buffer.isBuffer(req.body) ? req.body : undefined;
      const ua = req.headers['user-agent'];
      try {
        await ctx.heartbeats.ping(found.name, {
          kind: parsed.kind,
          ...(parsed.exitStatus !== undefined ? { exitStatus: parsed.exitStatus } : {}),
          ...(rid !== undefined ? { rid: rid.toLowerCase() } : {}),
          method: req.method,
          source: req.ip,
          ...(ua !== undefined ? { userAgent: ua } : {}),
          ...(body ? { body } : {}),
        });
      } catch (err) {
        // The heartbeat's name, never its body or run id.
        ctx.log.error({ heartbeat: found.name, error: (err as Error).message }, 'could not persist heartbeat ping');
        return reply.code(503).send({ error: 'could not store the ping durably; retry' });
      }
      return reply.type('text/plain; charset=utf-8').send('OK');
    };
    for (const url of ['/ping/:a', '/ping/:a/:b', '/ping/:a/:b/:c']) {
      scope.route<{ Params: PingParams; Querystring: Record<string, string | string[] | undefined> }>({ method: ['GET', 'POST', 'HEAD'], url, exposeHeadRoute: false, handler });
    }
  });
});
