import { z } from 'zod';
import { duration, name } from './fields.js';

// Owned by the heartbeats module (issue 3).

/** A shared secret: custom issues only, so an error line never echoes it back. */
export const secretToken = z.unknown().transform((t, ctx) => {
  if (typeof t !== 'string') ctx.addIssue({ code: 'custom', message: 'expected a token string (quote it in YAML)' });
  else if (t.length < 8) ctx.addIssue({ code: 'custom', message: 'must be at least 8 characters' });
  return t as string;
});

export const heartbeatSchema = z
  .strictObject({
    name,
    /** How often the job is expected to report success. */
    period: duration.refine((ms) => ms >= 1000, 'must be at least 1s'),
    /** Extra time allowed after the period before the heartbeat counts as missed. Default: a tenth of the period. */
    grace: duration.optional(),
    /** Optional shared secret for the ping API (Bearer header or ?token=). */
    token: secretToken.optional(),
  })
  .transform((h) => ({ ...h, grace: h.grace ?? Math.round(h.period / 10) }));

export type HeartbeatConfig = z.output<typeof heartbeatSchema>;
