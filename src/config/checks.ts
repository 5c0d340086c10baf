import { z } from 'zod';
import { duration, name } from './fields.js';

// Owned by the checker (issue 3). Kept in its own file so the root schema
// stays a list of sections.
export const checkSchema = z.strictObject({
  name,
  every: duration.optional(),
  schedule: z.string().optional(),
  timeout: duration.optional(),
  http: z.looseObject({}).optional(),
  tcp: z.looseObject({}).optional(),
  tls: z.looseObject({}).optional(),
});

export type CheckConfig = z.output<typeof checkSchema>;
