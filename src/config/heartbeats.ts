import { z } from 'zod';
import { duration, name } from './fields.js';

// Owned by the heartbeats module (issue 3).
export const heartbeatSchema = z.strictObject({
  name,
  period: duration,
  grace: duration.default(0),
  token: z.string().min(1).optional(),
});

export type HeartbeatConfig = z.output<typeof heartbeatSchema>;
