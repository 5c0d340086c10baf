import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { statusJsonSchemaText } from '../../src/status/json-schema.js';

describe('docs/status.schema.json', () => {
  it('is what the zod schema of /api/status generates (run npm run gen:status-schema after changing it)', () => {
    const committed = readFileSync(new URL('../../docs/status.schema.json', import.meta.url), 'utf8');
    expect(committed).toBe(statusJsonSchemaText());
  });

  it('describes every top-level field and forbids undocumented ones', () => {
    const schema = JSON.parse(statusJsonSchemaText()) as { required: string[]; additionalProperties: boolean };
    expect(schema.required).toEqual(['version', 'generatedAt', 'startedAt', 'severity', 'problems', 'scheduler', 'sockeye', 'targets', 'checks', 'heartbeats']);
    expect(schema.additionalProperties).toBe(false);
  });
});
