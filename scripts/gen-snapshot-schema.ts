// Writes docs/snapshot.schema.json from the zod schema of a stored snapshot.
// test/unit/snapshot-schema.test.ts fails when the two drift apart.
import { writeFileSync } from 'node:fs';
import { snapshotJsonSchemaText } from '../src/snapshots/schema.js';

const out = new URL('../docs/snapshot.schema.json', import.meta.url);
writeFileSync(out, snapshotJsonSchemaText());
process.stdout.write(`wrote ${out.pathname}\n`);
