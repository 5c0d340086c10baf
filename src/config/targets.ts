import { z } from 'zod';
import { name, regex } from './fields.js';

// A target is a named group of processes. Every matcher given must match
// (AND); regexes are unanchored, like grep.
export const matchSchema = z
  .strictObject({
    pid: z.number({ error: 'expected a process id (positive integer)' }).int('expected a process id (positive integer)').positive('expected a process id (positive integer)').optional(),
    pidfile: z.string({ error: 'expected a file path' }).min(1, 'expected a file path').optional(),
    comm: regex.optional(),
    exe: regex.optional(),
    cmdline: regex.optional(),
  })
  .refine((m) => Object.values(m).some((v) => v !== undefined), {
    message: 'expected at least one of pid, pidfile, comm, exe, cmdline',
  });

export const targetSchema = z.strictObject({
  name,
  match: matchSchema,
  processes: z
    .strictObject({
      min: z.number({ error: 'expected a whole number >= 0' }).int('expected a whole number >= 0').nonnegative('expected a whole number >= 0').default(1),
      max: z.number({ error: 'expected a whole number >= 1' }).int('expected a whole number >= 1').positive('expected a whole number >= 1').optional(),
    })
    .refine((p) => p.max === undefined || p.max >= p.min, { message: 'max must be >= min', path: ['max'] })
    .default({ min: 1 }),
});

export type MatchConfig = z.output<typeof matchSchema>;
export type TargetConfig = z.output<typeof targetSchema>;
