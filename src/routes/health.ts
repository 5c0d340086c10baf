import fp from 'fastify-plugin';
import type { AppContext } from '../context.js';

// /healthz is deep: an orchestrator that restarts sockeye on 503 turns a
// silently stalled checker into a restart. /readyz only says whether sockeye
// is up and serving (started, not shutting down).
export default fp<{ ctx: AppContext }>(async (app, { ctx }) => {
  app.get('/healthz', async (_req, reply) => {
    const report = ctx.checker.health(Date.now());
    reply.code(report.ok ? 200 : 503);
    return { status: report.ok ? 'ok' : 'unhealthy', problems: report.problems };
  });
  app.get('/readyz', async (_req, reply) => {
    if (!ctx.checker.running) return reply.code(503).send({ status: 'not ready', problems: ['scheduler not started or stopping'] });
    return { status: 'ready' };
  });
});
