import { z } from 'zod';
import { FD_TYPES } from '../procfs/pid/fd.js';
import { SNAPSHOT_SCHEMA_VERSION, type Snapshot, type SnapshotSummary } from './types.js';

// The contract of GET /api/snapshots/ID (and of the stored files), for API
// users: docs/snapshot.schema.json is generated from this (npm run
// gen:snapshot-schema) and a test keeps the two equal. The types of types.ts
// are the source; the checks at the bottom fail the build when they drift.

const count = z.number().int().nonnegative();
const bytes = z.number().int().nonnegative();
const nullable = <T extends z.ZodType>(s: T) => s.nullable();
const problem = z.strictObject({
  collector: z.string(),
  kind: z.enum(['denied', 'vanished', 'error']),
  path: z.string().describe('the /proc path, relative to procRoot, that failed'),
  message: z.string(),
});
const protocol = z.enum(['tcp', 'tcp6', 'udp', 'udp6', 'unix', 'other']);

const socketGroup = z
  .strictObject({
    protocol,
    state: z.string().describe('lowercased kernel state: close_wait, established, listen; unix: connected, ...'),
    peer: nullable(z.string()).describe('remote IP of connected TCP sockets, no port'),
    localPort: nullable(z.number().int()).describe('local port of listening TCP sockets'),
    count,
    rx: bytes,
    tx: bytes,
    oldestSeconds: nullable(z.number().nonnegative()).describe('age in this state of the oldest socket of the group, where tracked (TCP, not listening)'),
  })
  .describe('Sockets of the same protocol, state, peer and listening port; every socket is in exactly one group.');

const holdings = {
  openFds: nullable(count),
  maxFds: nullable(count),
  fdUsageRatio: nullable(z.number().nonnegative()),
  fds: nullable(z.strictObject(Object.fromEntries(FD_TYPES.map((t) => [t, count])) as Record<(typeof FD_TYPES)[number], typeof count>)),
  paths: z.array(z.strictObject({ path: z.string(), count })).describe('every path with its handle count, largest first'),
  sockets: z.array(socketGroup),
  peers: z.array(z.strictObject({ peer: z.string(), count, states: z.record(z.string(), count) })).describe('every TCP peer with its sockets by state'),
  listen: z.array(z.strictObject({ port: z.number().int(), queue: count, backlog: nullable(count) })),
  queues: z.strictObject({ rx: bytes, tx: bytes }),
};

const snapshotProcess = z.strictObject({
  ...holdings,
  pid: z.number().int(),
  ppid: z.number().int(),
  startTimeSeconds: nullable(z.number()),
  comm: z.string(),
  cmdline: z.string().describe('argv joined by spaces, the configured secret patterns replaced by "***"'),
  uid: nullable(z.number().int()),
  maxFdsHard: nullable(count),
  residentBytes: nullable(bytes),
  threads: count,
  cpuUserSeconds: z.number().nonnegative(),
  cpuSystemSeconds: z.number().nonnegative(),
  readable: z.boolean(),
  problems: z.array(problem),
});

const reason = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('trigger'), trigger: z.string(), detail: z.string() }),
  z.strictObject({ kind: z.enum(['vanished', 'restarted']), detail: z.string() }),
  z.strictObject({ kind: z.literal('manual'), detail: z.string() }),
  z.strictObject({ kind: z.literal('alert'), alertname: z.string(), labels: z.record(z.string(), z.string()), detail: z.string() }),
  z.strictObject({ kind: z.literal('baseline'), detail: z.string() }),
]);

const msTime = z.number().int().nonnegative().describe('ms since the epoch');

export const snapshotSchema = z
  .strictObject({
    schemaVersion: z.literal(SNAPSHOT_SCHEMA_VERSION),
    id: z.string(),
    savedAt: msTime,
    reason,
    crossed: z.array(z.strictObject({ trigger: z.string(), detail: z.string() })).describe('every trigger the picture crossed when it was taken'),
    target: z.strictObject({
      name: z.string(),
      time: msTime.describe('collection time, ms since the epoch'),
      total: z.strictObject({
        ...holdings,
        residentBytes: nullable(bytes),
        memoryLimitBytes: nullable(bytes),
        workingSetBytes: nullable(bytes),
        oomKills: nullable(count),
        threads: count,
        cpuUserSeconds: z.number().nonnegative(),
        cpuSystemSeconds: z.number().nonnegative(),
      }),
      socketAges: z.array(z.strictObject({ state: z.string(), oldestSeconds: z.number().nonnegative(), longLived: count })),
      processes: z.array(snapshotProcess),
      readable: z.boolean(),
      problems: z.array(problem),
    }),
    collection: z.strictObject({
      durationSeconds: z.number().nonnegative(),
      procRoot: z.string(),
      collectors: z.array(z.strictObject({ name: z.string(), durationSeconds: z.number().nonnegative(), success: z.boolean() })),
      problems: z.array(problem),
      reader: z.strictObject({ uid: z.number().int(), capSysPtrace: z.boolean(), capDacReadSearch: z.boolean() }),
    }),
  })
  .describe('An incident snapshot: the full picture of one target at one moment (docs/snapshots.md).');

export const snapshotSummarySchema = z.strictObject({
  id: z.string(),
  target: z.string(),
  savedAt: msTime,
  takenAt: msTime,
  reason,
  bytes,
  openFds: nullable(count),
});

// Drift between this schema and types.ts fails typechecking, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameSnapshot: Same<z.output<typeof snapshotSchema>, Snapshot> = true;
const sameSummary: Same<z.output<typeof snapshotSummarySchema>, SnapshotSummary> = true;
void sameSnapshot;
void sameSummary;

/** The JSON Schema (draft 2020-12) of a snapshot, as committed in docs/snapshot.schema.json. */
export function snapshotJsonSchemaText(): string {
  const schema = z.toJSONSchema(snapshotSchema, { target: 'draft-2020-12', io: 'output' });
  return `${JSON.stringify({ $schema: schema.$schema, $id: 'sockeye-snapshot.schema.json', ...schema }, null, 2)}\n`;
}
