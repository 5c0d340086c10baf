import { z } from 'zod';
import { statusReportSchema } from './schema.js';

/** The JSON Schema (draft 2020-12) of GET /api/status, as committed in docs/status.schema.json. */
export function statusJsonSchemaText(): string {
  const schema = z.toJSONSchema(statusReportSchema, { target: 'draft-2020-12', io: 'output' });
  return `${JSON.stringify({ $schema: schema.$schema, $id: 'sockeye-status.schema.json', ...schema }, null, 2)}\n`;
}
