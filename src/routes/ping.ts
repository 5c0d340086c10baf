import type { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { UUID } from '../config/heartbeats.js';
import type { AppContext } from '../context.js';
import type { PingKind, PingTarget } from '../heartbeats/index.js';
import { PING_BODY_LIMIT } from '../heartbeats/record.js';
import { presentedToken } from './token.js';

/** Past this a ping is refused (413): the rest of a body is read only to be discarded, and not without end. */
export const PING_REQUEST_LIMIT = 10 * 1024 * 1024;

/** A ping's request body: its first PING_BODY_LIMIT bytes, and its size as sent. */
export interface PingBody {
  kept: Buffer;
  bytes: number;
}

class PingBodyTooLarge extends Error {
  readonly statusCode = 413;
  readonly code = 'FST_ERR_CTP_BODY_TOO_LARGE';
}

/** `buf` without the incomplete UTF-8 character that cutting it may leave at its end. */
export function dropPartialUtf8(buf: Buffer): Buffer {
  // The last byte that starts a character (or is ASCII), within a character's length of the end.
  for (let i = buf.length - 1; i >= Math.max(0, buf.length - 4); i--) {
    const b = buf[i]!;
    if ((b & 0xc0) === 0x80) continue;
    const length = b < 0x80 ? 1 : b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
    return buf.length - i < length ? buf.subarray(0, i) : buf;
  }
  return buf; // not UTF-8: kept as it is
}

/**
 * Reads a ping's body, keeping its first PING_BODY_LIMIT bytes and counting
 * (not keeping) the rest: a long job log costs no more memory than the cap.
 * Over PING_REQUEST_LIMIT, declared or sent, it is refused.
 */
export function readPingBody(payload: Readable, contentLength: string | undefined, done: (err: Error | null, body?: PingBody) => void): void {
  if (Number(contentLength) > PING_REQUEST_LIMIT) return done(new PingBodyTooLarge());
  const chunks: Buffer[] = [];
  let kept = 0;
  let bytes = 0;
  const finish = (err: Error | null, body?: PingBody) => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', onError);
    done(err, body);
  };
  const onData = (chunk: Buffer | string) => {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    bytes += b.length;
    if (bytes > PING_REQUEST_LIMIT) return finish(new PingBodyTooLarge());
    if (kept < PING_BODY_LIMIT) {
      // A copy: never a view over the socket's read buffer.
      const part = Buffer.from(b.subarray(0, PING_BODY_LIMIT - kept));
      chunks.push(part);
      kept += part.length;
    }
  };
  const onEnd = () => {
    const body = Buffer.concat(chunks, kept);
    finish(null, { kept: bytes > kept ? dropPartialUtf8(body) : body, bytes });
  };
  const onError = (err: Error & { statusCode?: number }) => {
    if (!(typeof err.statusCode === 'number' && err.statusCode >= 400)) err.statusCode = 400;
    finish(err);
  };
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', onError);
  payload.resume();
}

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
    // Any content type; the body is read here, bounded, not by fastify's bodyLimit.
    scope.addContentTypeParser('*', (req, payload, done) => readPingBody(payload, req.headers['content-length'], done));
    scope.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, _req, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return reply.code(413).send({ error: `request body larger than ${PING_REQUEST_LIMIT} bytes (sockeye keeps the first ${PING_BODY_LIMIT} bytes of a ping body)` });
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
      const body = req.body as PingBody | undefined;
      const ua = req.headers['user-agent'];
      try {
        await ctx.heartbeats.ping(found.name, {
          kind: parsed.kind,
          ...(parsed.exitStatus !== undefined ? { exitStatus: parsed.exitStatus } : {}),
          ...(rid !== undefined ? { rid: rid.toLowerCase() } : {}),
          method: req.method,
          source: req.ip,
          ...(ua !== undefined ? { userAgent: ua } : {}),
          ...(body && body.bytes > 0 ? { body: body.kept, bodyBytes: body.bytes } : {}),
        });
      } catch (err) {
        // The heartbeat's name, never its body or run id.
        ctx.log.error({ heartbeat: found.name, error: (err as Error).message }, 'could not persist heartbeat ping');
        return reply.code(503).send({ error: 'could not store the ping durably; retry' });
      }
      // As healthchecks.io answers: wrappers such as runitor send at most this much of a job's output.
      return reply.header('ping-body-limit', String(PING_BODY_LIMIT)).type('text/plain; charset=utf-8').send('OK');
    };
    for (const url of ['/ping/:a', '/ping/:a/:b', '/ping/:a/:b/:c']) {
      scope.route<{ Params: PingParams; Querystring: Record<string, string | string[] | undefined> }>({ method: ['GET', 'POST', 'HEAD'], url, exposeHeadRoute: false, handler });
    }
  });
});
