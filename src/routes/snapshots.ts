import fp from 'fastify-plugin';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { SNAPSHOT_ID, type TakeResult } from '../snapshots/index.js';
import { statusPageAccess } from './status-access.js';

// Incident snapshots over HTTP (docs/snapshots.md), behind the status page's
// access (they hold paths, peers and command lines):
//   POST /api/snapshots?target=NAME   take one now
//   GET  /api/snapshots[?target=NAME] the list, newest first
//   GET  /api/snapshots/ID            one, whole (docs/snapshot.schema.json)
//   POST /api/alertmanager            Alertmanager's webhook: each firing alert's `target` frozen
//                                     (or, for a check's alert, the target listening where the check connects)

const REFUSED_STATUS = { 'unknown target': 404, disabled: 409, cooldown: 429, 'no picture': 503 } as const;

// Alertmanager's webhook payload (version "4"); only what is used is checked, the rest passes.
const webhookBody = z.looseObject({
  version: z.literal('4', { error: 'expected version "4" (Alertmanager webhook payload)' }),
  alerts: z.array(
    z.looseObject({
      status: z.string({ error: 'expected "firing" or "resolved"' }),
      labels: z.record(z.string(), z.string(), { error: 'expected a mapping of label names to strings' }),
      annotations: z.record(z.string(), z.string()).optional(),
    }),
    { error: 'expected a list of alerts' },
  ),
});

// Alertmanager sends up to max_alerts (default: all) of a group in one request.
const WEBHOOK_BODY_LIMIT = 1024 * 1024;

export default fp<{ ctx: AppContext }>(async (app, { ctx }) => {
  const authorized = statusPageAccess(ctx);

  app.post<{ Querystring: { target?: unknown } }>('/api/snapshots', { onRequest: authorized }, async (req, reply) => {
    const target = req.query.target;
    if (typeof target !== 'string' || target === '') return reply.code(400).send({ error: 'bad request', reason: 'expected ?target=NAME (a target of this sockeye)' });
    const result = await ctx.snapshots.take(target, { kind: 'manual', detail: 'POST /api/snapshots' });
    if ('refused' in result) return reply.code(REFUSED_STATUS[result.refused]).send({ error: result.refused, reason: result.message });
    return reply.code(201).header('location', `/api/snapshots/${result.taken.id}`).send(result.taken);
  });

  app.get<{ Querystring: { target?: unknown } }>('/api/snapshots', { onRequest: authorized }, async (req, reply) => {
    const target = req.query.target;
    if (target !== undefined && typeof target !== 'string') return reply.code(400).send({ error: 'bad request', reason: 'expected at most one ?target=NAME' });
    await ctx.snapshots.refresh();
    return { snapshots: ctx.snapshots.list(target) };
  });

  app.get<{ Params: { id: string } }>('/api/snapshots/:id', { onRequest: authorized }, async (req, reply) => {
    const { id } = req.params;
    if (!SNAPSHOT_ID.test(id)) return reply.code(400).send({ error: 'bad request', reason: 'not a snapshot id (like 20261207T091502.123Z-web-7f3a)' });
    await ctx.snapshots.refresh();
    const snapshot = await ctx.snapshots.get(id);
    if (!snapshot) return reply.code(404).send({ error: 'not found', reason: `no snapshot ${id} (never taken, or dropped past snapshots.maxCount/maxBytes)` });
    return snapshot;
  });

  app.post('/api/alertmanager', { onRequest: authorized, bodyLimit: WEBHOOK_BODY_LIMIT }, async (req, reply) => {
    const parsed = webhookBody.safeParse(req.body);
    if (!parsed.success) return reply.code(400).send({ error: 'bad request', reason: `not an Alertmanager webhook payload: ${z.prettifyError(parsed.error).replace(/\s*\n\s*/g, '; ')}` });
    const taken: Array<{ alertname: string; target: string; id: string }> = [];
    const skipped: Array<{ alertname: string; target: string | null; reason: string }> = [];
    for (const alert of parsed.data.alerts) {
      const alertname = alert.labels.alertname ?? '';
      if (alert.status !== 'firing') continue;
      const check = alert.labels.check;
      const target = alert.labels.target ?? (check === undefined ? undefined : ctx.snapshots.targetOfCheck(check));
      if (target === undefined) {
        const reason = check === undefined ? 'no target label' : `no target label, and check ${JSON.stringify(check)} connects to no single target's port on this machine`;
        skipped.push({ alertname, target: null, reason });
        continue;
      }
      const summary = alert.annotations?.summary;
      const result: TakeResult = await ctx.snapshots.take(target, { kind: 'alert', alertname, labels: alert.labels, detail: `${alertname || 'alert'} firing${summary ? `: ${summary}` : ''}` });
      if ('refused' in result) skipped.push({ alertname, target, reason: result.message });
      else taken.push({ alertname, target, id: result.taken.id });
    }
    return reply.code(200).send({ taken, skipped });
  });
});
