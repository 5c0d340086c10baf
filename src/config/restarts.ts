import { z } from 'zod';
import { duration } from './fields.js';

// What counts as a restart (collectors/restart-classifier.ts): a process that
// lived at least minLifetime, replaced by one with the same parent and
// command line within replacedWithin.
export const restartsSchema = z
  .strictObject({
    minLifetime: duration.default(30_000),
    replacedWithin: duration.refine((ms) => ms >= 1000, 'must be at least 1s').default(60_000),
  })
  .default({ minLifetime: 30_000, replacedWithin: 60_000 });

export type RestartsConfig = z.output<typeof restartsSchema>;
