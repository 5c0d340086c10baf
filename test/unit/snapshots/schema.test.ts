import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { snapshotChangesJsonSchemaText } from '../../../src/snapshots/changes-schema.js';
import { snapshotJsonSchemaText } from '../../../src/snapshots/schema.js';

describe('docs/snapshot.schema.json', () => {
  it('is what the zod schema of a snapshot generates (run npm run gen:snapshot-schema after changing it)', () => {
    const committed = readFileSync(new URL('../../../docs/snapshot.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(snapshotJsonSchemaText());
  });

  it('forbids undocumented top-level fields', () => {
    const schema = JSON.parse(snapshotJsonSchemaText()) as { required: string[]; additionalProperties: boolean };
    expect(schema.required).toEqual(['schemaVersion', 'id', 'savedAt', 'reason', 'crossed', 'target', 'collection']);
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('docs/snapshot-changes.schema.json', () => {
  it('is what the zod schema of the changes generates (run npm run gen:snapshot-schema after changing it)', () => {
    const committed = readFileSync(new URL('../../../docs/snapshot-changes.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(snapshotChangesJsonSchemaText());
  });
});
