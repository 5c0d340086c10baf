import fp from 'fastify-plugin';
import type { AppContext } from '../context.js';
import { SNAPSHOT_ID } from '../snapshots/index.js';
import { statusPageAccess } from './status-access.js';

// GET /api/snapshots/ID/changes: what changed in a snapshot against the one
// before it of the same target and against the target's healthy baseline,
// as the lines the status page and `sockeye inspect --snapshot` show.
// Behind the status page's access, as the snapshots themselves. The diff
// is loaded by the first request: it runs only when someone reads a snapshot.

export default fp<{ ctx: AppContext }>(async (app, { ctx }) => {
  app.get<{ Params: { id: string } }>('/api/snapshots/:id/changes', { onRequest: statusPageAccess(ctx) }, async (req, reply) => {
    const { id } = req.params;
    if (!SNAPSHOT_ID.test(id)) return reply.code(400).send({ error: 'bad request', reason: 'not a snapshot id (like 20261207T091502.123Z-web-7f3a)' });
    await ctx.snapshots.refresh();
    const snapshot = await ctx.snapshots.get(id);
    if (!snapshot) return reply.code(404).send({ error: 'not found', reason: `no snapshot ${id} (never taken, or dropped past snapshots.maxCount/maxBytes)` });
    const { changesOf } = await import('../snapshots/compare.js');
    return { id, ...(await changesOf(ctx.snapshots, snapshot)) };
  });
});
