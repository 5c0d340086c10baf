// Writes docs/snapshot.schema.json and docs/snapshot-changes.schema.json from
// the zod schemas of a stored snapshot and of its changes.
// test/unit/snapshots/schema.test.ts fails when they drift apart.
import { writeFileSync } from 'node:fs';
import { snapshotChangesJsonSchemaText } from '../src/snapshots/changes-schema.js';
import { snapshotJsonSchemaText } from '../src/snapshots/schema.js';

for (const [file, text] of [
  ['snapshot.schema.json', snapshotJsonSchemaText()],
  ['snapshot-changes.schema.json', snapshotChangesJsonSchemaText()],
] as const) {
  const out = new URL(`../docs/${file}`, import.meta.url);
  writeFileSync(out, text);
  process.stdout.write(`wrote ${out.pathname}\n`);
}
