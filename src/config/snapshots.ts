import { z } from 'zod';
import { describe } from './errors.js';
import { duration, regex } from './fields.js';

// Incident snapshots (src/snapshots/): when they are taken, how much of
// stateDir they may use, and what of a command line they never store.

const UNITS: Record<string, number> = { '': 1, b: 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, kb: 1000, mb: 1000 ** 2, gb: 1000 ** 3 };

/** A size of at least `min` bytes: a whole number of bytes, or a string such as "64MiB", "500KB". */
const byteSize = (min: number, minText: string) =>
  z.union([z.number(), z.string()], { error: `expected a size of at least ${minText} such as "64MiB" or a number of bytes` }).transform((value, ctx) => {
    const m = typeof value === 'string' ? /^(\d+)\s*([KMG]i?B|B)?$/i.exec(value.trim()) : null;
    const bytes = typeof value === 'number' ? value : m ? Number(m[1]) * UNITS[(m[2] ?? '').toLowerCase()]! : NaN;
    if (!Number.isSafeInteger(bytes) || bytes < min) {
      ctx.addIssue({ code: 'custom', message: `expected a size of at least ${minText} such as "64MiB" or a number of bytes, got ${describe(value)}` });
      return z.NEVER;
    }
    return bytes;
  });

const wholeNumber = (min: number, max: number) =>
  z
    .number({ error: `expected a whole number from ${min} to ${max}` })
    .int(`expected a whole number from ${min} to ${max}`)
    .min(min, `expected a whole number from ${min} to ${max}`)
    .max(max, `expected a whole number from ${min} to ${max}`);

/**
 * A threshold, or false: that trigger is off. Not a union: a bad threshold
 * is reported by its own schema, at its own key, not as "none of these".
 */
const orOff = <T extends z.ZodType>(schema: T) =>
  z.unknown().transform((value, ctx): false | z.output<T> => {
    if (value === false) return false;
    const r = schema.safeParse(value);
    if (r.success) return r.data;
    // zod leaves the input out of most issues; the value at the issue's path is what was written.
    const at = (path: readonly PropertyKey[]) => path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], value);
    for (const issue of r.error.issues) ctx.addIssue({ ...issue, input: issue.input ?? at(issue.path) } as z.core.$ZodRawIssue);
    return z.NEVER;
  });

const ratio = z.number({ error: 'expected a ratio above 0 and at most 1, or false (off)' }).gt(0, 'expected a ratio above 0 and at most 1, or false (off)').max(1, 'expected a ratio above 0 and at most 1, or false (off)');
const count = (orOff: string) => z.number({ error: `expected a whole number of at least 1${orOff}` }).int(`expected a whole number of at least 1${orOff}`).min(1, `expected a whole number of at least 1${orOff}`);
const growth = <T extends z.ZodType>(amount: T) =>
  z.strictObject({ atLeast: amount, window: duration.refine((ms) => ms >= 1000, 'must be at least 1s') }, { error: 'expected false (off) or a mapping with atLeast and window' });

/**
 * Each trigger fires at or a little before the shipped alert on the same
 * signal (alerts/config.ts), and without its `for:`: the snapshot is
 * evidence for the page, so it should already exist when the page comes.
 */
export const DEFAULT_TRIGGERS = {
  /** Any process's open fds over its soft limit (FdUsageHigh warns above 0.8). */
  fdUsage: 0.8,
  /** Open fds rose through the window, this much above their lowest before it (FdLeak: 100 over 4 × 10m). */
  fdGrowth: { atLeast: 100, window: 40 * 60_000 },
  /** Sockets in CLOSE_WAIT (CloseWaitPileUp: 50). */
  closeWait: 50,
  /** Sockets in CLOSE_WAIT for leaks.longLivedAfter or longer (CloseWaitSocketsStuck: 5). */
  closeWaitStuck: 5,
  /** Working set (RSS where there is no cgroup) over the cgroup memory limit. */
  memoryUsage: 0.9,
  /** RSS rose through the window, this much above its lowest before it (the working set is the cgroup's, shared). */
  memoryGrowth: { atLeast: 64 * 1024 ** 2, window: 40 * 60_000 },
  /** Processes of a target gone, fewer left than its processes.min (or none): the last picture with them is kept. */
  vanished: true,
  /** A process of the target replaced by the same command under the same parent (a restart, a worker respawned): the last picture with the old one. */
  restarted: true,
};

const triggersSchema = z
  .strictObject({
    fdUsage: orOff(ratio).default(DEFAULT_TRIGGERS.fdUsage),
    fdGrowth: orOff(growth(count(''))).default(DEFAULT_TRIGGERS.fdGrowth),
    closeWait: orOff(count(', or false (off)')).default(DEFAULT_TRIGGERS.closeWait),
    closeWaitStuck: orOff(count(', or false (off)')).default(DEFAULT_TRIGGERS.closeWaitStuck),
    memoryUsage: orOff(ratio).default(DEFAULT_TRIGGERS.memoryUsage),
    memoryGrowth: orOff(growth(byteSize(1024 * 1024, '1MiB'))).default(DEFAULT_TRIGGERS.memoryGrowth),
    vanished: z.boolean({ error: 'expected true or false' }).default(DEFAULT_TRIGGERS.vanished),
    restarted: z.boolean({ error: 'expected true or false' }).default(DEFAULT_TRIGGERS.restarted),
  })
  .default(DEFAULT_TRIGGERS);

/**
 * Arguments matching one of these (case-insensitive) are stored as "***":
 * the value after "=" of `--password=x`, the next argument after a bare
 * `--password`, else the whole argument (a URL with credentials).
 */
export const DEFAULT_REDACT = ['pass(word|wd)?\\b', 'secret', 'token', 'api[-_]?key', 'private[-_]?key', 'credential', 'auth', '://[^/@\\s]*:[^/@\\s]*@'];

/**
 * The automatic healthy baseline of each target. `after`: how long no
 * trigger may have been crossed (nor a process vanished or restarted) before
 * a picture counts as healthy: the warm-up of a started app (pools filling,
 * caches loading) is not its normal state, and a shorter streak could sit on
 * the slope of a leak the growth triggers have not seen enough of. `every`:
 * a healthy target's baseline is replaced this often, so it is never older
 * than one daily traffic cycle and follows deploys. `maxTargets` bounds the
 * files (one per target, the least recently refreshed dropped first).
 */
export const DEFAULT_BASELINE = { after: 10 * 60_000, every: 24 * 60 * 60_000, maxTargets: 100 };

export const DEFAULTS = {
  enabled: true,
  maxCount: 200,
  maxBytes: 256 * 1024 ** 2,
  cooldown: 15 * 60_000,
  triggers: DEFAULT_TRIGGERS,
  baseline: DEFAULT_BASELINE,
  redact: DEFAULT_REDACT,
};

const baselineSchema = z.strictObject(
  {
    after: duration.refine((ms) => ms >= 1000, 'must be at least 1s').default(DEFAULT_BASELINE.after),
    every: duration.refine((ms) => ms >= 60_000, 'must be at least 1m').default(DEFAULT_BASELINE.every),
    maxTargets: wholeNumber(1, 100_000).default(DEFAULT_BASELINE.maxTargets),
  },
  { error: 'expected false (off) or a mapping with after, every and maxTargets' },
);

export const snapshotsSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'expected true or false' }).default(DEFAULTS.enabled),
    maxCount: wholeNumber(1, 100_000).default(DEFAULTS.maxCount),
    maxBytes: byteSize(64 * 1024, '64KiB').default(DEFAULTS.maxBytes),
    cooldown: duration.default(DEFAULTS.cooldown),
    triggers: triggersSchema,
    baseline: orOff(baselineSchema).default(DEFAULT_BASELINE),
    redact: z.array(regex, { error: 'expected a list of regular expressions' }).default(DEFAULTS.redact),
  })
  .default(DEFAULTS);

export type SnapshotsConfig = z.output<typeof snapshotsSchema>;
export type TriggersConfig = SnapshotsConfig['triggers'];
