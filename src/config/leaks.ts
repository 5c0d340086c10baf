import { z } from 'zod';
import { duration } from './fields.js';

// Leak signals that need no limit: how long a socket must stay in its state to count as long-lived.
export const leaksSchema = z
  .strictObject({
    longLivedAfter: duration.refine((ms) => ms >= 1000, 'must be at least 1s').default(5 * 60_000),
  })
  .default({ longLivedAfter: 5 * 60_000 });

export type LeaksConfig = z.output<typeof leaksSchema>;
