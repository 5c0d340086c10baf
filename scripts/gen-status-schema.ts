// Writes docs/status.schema.json from the zod schema of GET /api/status.
// test/unit/status-schema.test.ts fails when the two drift apart.
import { writeFileSync } from 'node:fs';
import { statusJsonSchemaText } from '../src/status/json-schema.js';

const out = new URL('../docs/status.schema.json', import.meta.url);
writeFileSync(out, statusJsonSchemaText());
process.stdout.write(`wrote ${out.pathname}\n`);
