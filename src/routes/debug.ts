import fp from 'fastify-plugin';
import type { AppContext } from '../context.js';

/** Test hooks exist only when this is set; production never registers them. */
export const TEST_HOOKS_ENV = 'SOCKEYE_ENABLE_TEST_HOOKS';
const MAX_STALL_SECONDS = 3600;

// For the incident lab: a scheduler that stops while HTTP still answers.
export default fp<{ ctx: AppContext; env?: NodeJS.ProcessEnv }>(async (app, { ctx, env = process.env }) => {
  if (env[TEST_HOOKS_ENV] !== '1') return;
  ctx.log.warn(`${TEST_HOOKS_ENV}=1: test hooks enabled (POST /debug/scheduler/stall); never set this in production`);
  app.post('/debug/scheduler/stall', async (req, reply) => {
    const raw = (req.query as Record<string, unknown>).seconds;
    const seconds = typeof raw === 'string' && /^\d+(\.\d+)?$/.test(raw) ? Number(raw) : NaN;
    if (!(seconds > 0 && seconds <= MAX_STALL_SECONDS)) {
      return reply.code(400).send({ error: `seconds: expected a number of seconds from 0 to ${MAX_STALL_SECONDS}` });
    }
    ctx.checker.stall(seconds * 1000);
    return { stalled: true, seconds };
  });
});
