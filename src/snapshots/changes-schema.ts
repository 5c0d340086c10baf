import { z } from 'zod';
import type { SnapshotChanges } from './compare.js';
import type { ChangeKind } from './diff.js';

// The contract of GET /api/snapshots/ID/changes, for API users:
// docs/snapshot-changes.schema.json is generated from this (npm run
// gen:snapshot-schema) and a test keeps the two equal; the check at the
// bottom fails the build when it drifts from compare.ts and diff.ts.

const KINDS = ['fds', 'fd_type', 'path', 'sockets', 'processes', 'process', 'memory', 'threads', 'oom', 'listen', 'gone'] as const satisfies readonly ChangeKind[];
const msTime = z.number().int().nonnegative().describe('ms since the epoch');

const comparison = z
  .strictObject({
    id: z.string().describe('the earlier snapshot'),
    savedAt: msTime,
    takenAt: msTime,
    diff: z.strictObject({
      lines: z
        .array(
          z.strictObject({
            kind: z.enum(KINDS),
            text: z.string().describe('e.g. "+3,912 handles to /srv/public/index.html"'),
          }),
        )
        .describe('most important first'),
      omitted: z.number().int().nonnegative().describe('smaller changes left out'),
    }),
  })
  .nullable();

export const snapshotChangesSchema = z
  .strictObject({
    id: z.string(),
    previous: comparison.describe('against the snapshot of the same target just before; null for the first'),
    baseline: comparison.describe('against the oldest snapshot of the target taken on demand while no trigger was crossed (not the previous one); null when there is none'),
  })
  .describe('What changed in a snapshot (docs/snapshots.md#what-changed).');

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const same: Same<z.output<typeof snapshotChangesSchema>, SnapshotChanges & { id: string }> = true;
void same;

/** The JSON Schema (draft 2020-12) of the changes, as committed in docs/snapshot-changes.schema.json. */
export function snapshotChangesJsonSchemaText(): string {
  const schema = z.toJSONSchema(snapshotChangesSchema, { target: 'draft-2020-12', io: 'output' });
  return `${JSON.stringify({ $schema: schema.$schema, $id: 'sockeye-snapshot-changes.schema.json', ...schema }, null, 2)}\n`;
}
