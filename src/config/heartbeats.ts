import { z } from 'zod';
import { cronExpression } from './checks.js';
import { duration, name } from './fields.js';

// Owned by the heartbeats module.

/** A shared secret: custom issues only, so an error line never echoes it back. */
export const secretToken = z.unknown().transform((t, ctx) => {
  if (typeof t !== 'string') ctx.addIssue({ code: 'custom', message: 'expected a token string (quote it in YAML)' });
  else if (t.length < 8) ctx.addIssue({ code: 'custom', message: 'must be at least 8 characters' });
  return t as string;
});

/** A ping key is a URL path segment: no "/" and nothing that needs escaping. */
export const pingKey = secretToken.superRefine((t, ctx) => {
  if (typeof t === 'string' && !/^[A-Za-z0-9_-]+$/.test(t)) ctx.addIssue({ code: 'custom', message: 'expected letters, digits, "_" or "-" only (it is part of the ping URL)' });
});

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** healthchecks.io's slug of a check name: lower case, runs of other characters as one "-". */
export function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/^[-_]+|[-_]+$/g, '');
}

const uuid = z
  .string({ error: 'expected a UUID such as "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"' })
  .transform((s) => s.toLowerCase())
  .refine((s) => UUID.test(s), 'expected a UUID such as "5bf66975-d4c7-4bf5-bcc8-b8d8a82ea278"');

const slug = z.string({ error: 'expected a slug' }).regex(/^[a-z0-9][a-z0-9_-]{0,127}$/, 'expected a slug of lower-case letters, digits, "_" or "-"');

const timezone = z.string({ error: 'expected an IANA time zone such as "Europe/Berlin"' }).superRefine((tz, ctx) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
  } catch {
    ctx.addIssue({ code: 'custom', message: `expected an IANA time zone such as "Europe/Berlin" or "UTC", got ${JSON.stringify(tz)}` });
  }
});

/** As healthchecks.io's default for cron checks. */
export const DEFAULT_SCHEDULE_GRACE_MS = 3_600_000;

export const heartbeatSchema = z
  .strictObject({
    name,
    /** How often the job is expected to report (a "simple" check). */
    period: duration.refine((ms) => ms >= 1000, 'must be at least 1s').optional(),
    /** When the job is expected to report: a cron expression (a "cron" check). */
    schedule: cronExpression.optional(),
    /** The schedule's time zone (IANA name); default UTC. */
    timezone: timezone.optional(),
    /** Extra time allowed after the expected ping before the heartbeat counts as missed. */
    grace: duration.optional(),
    /** The healthchecks.io UUID of the check, so /ping/<uuid> URLs keep working. */
    uuid: uuid.optional(),
    /** For /ping/<pingKey>/<slug>; default: the name, slugified. */
    slug: slug.optional(),
    /** Optional shared secret for /ping/<name> (Bearer header or ?token=). */
    token: secretToken.optional(),
  })
  .superRefine((h, ctx) => {
    if ((h.period === undefined) === (h.schedule === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expected exactly one of period (e.g. "1h") or schedule (a cron expression such as "0 2 * * 1-5")' });
    }
    if (h.timezone !== undefined && h.schedule === undefined) {
      ctx.addIssue({ code: 'custom', path: ['timezone'], message: 'only applies with a schedule' });
    }
  })
  .transform((h) => ({
    ...h,
    slug: h.slug ?? slugify(h.name),
    timezone: h.schedule !== undefined ? (h.timezone ?? 'UTC') : undefined,
    grace: h.grace ?? (h.period !== undefined ? Math.round(h.period / 10) : DEFAULT_SCHEDULE_GRACE_MS),
  }));

export type HeartbeatConfig = z.output<typeof heartbeatSchema>;

/** uuid and slug must each name one heartbeat, like name. */
export function uniqueHeartbeatKeys(items: HeartbeatConfig[], ctx: z.RefinementCtx): void {
  // A repeated name is reported as such, not again as its repeated slug.
  const names = new Set<string>();
  const repeated = items.map((h) => names.size === names.add(h.name).size);
  for (const key of ['uuid', 'slug'] as const) {
    const seen = new Map<string, number>();
    items.forEach((h, i) => {
      const v = h[key];
      if (v === undefined || repeated[i]) return;
      const first = seen.get(v);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [i, key], message: `duplicate heartbeat ${key} "${v}" (also at index ${first})` });
      else seen.set(v, i);
    });
  }
}
