import { z } from 'zod';

// Owned by the status page (issue 7). The page shows no secrets, but what
// runs where is still worth keeping from strangers: a token puts it behind
// the same kind of check as the ping API.
export const statusPageSchema = z
  .strictObject({
    enabled: z.boolean({ error: 'expected true or false' }).default(true),
    // Custom issues only, so an error line never echoes the secret back (as for heartbeat tokens).
    token: z
      .unknown()
      .transform((t, ctx) => {
        if (typeof t !== 'string') ctx.addIssue({ code: 'custom', message: 'expected a token string (quote it in YAML)' });
        else if (t.length < 8) ctx.addIssue({ code: 'custom', message: 'must be at least 8 characters' });
        return t as string;
      })
      .optional(),
  })
  .default({ enabled: true });

export type StatusPageConfig = z.output<typeof statusPageSchema>;
