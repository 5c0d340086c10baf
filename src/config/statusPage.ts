import { z } from 'zod';

// Owned by the status page (issue 7). The page shows no secrets, but what
// runs where is still worth keeping from strangers: a token puts it behind
// the same kind of check as the ping API.
export const statusPageSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'expected true or false' }).default(true),
    token: z.string({ error: 'expected a token string' }).min(1, 'expected a non-empty token string').optional(),
  })
  .default({ enabled: true });

export type StatusPageConfig = z.output<typeof statusPageSchema>;
