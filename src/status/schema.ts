import { z } from 'zod';

// The contract of GET /api/status. docs/status.schema.json is generated from
// this (npm run gen:status-schema) and a test keeps the two equal, so scripts
// written against the documented schema keep working.

const seconds = z.number().nonnegative();
const timestamp = z.iso.datetime().describe('ISO 8601 time, UTC');

/** ok < warning < critical; "unknown" when there is nothing to judge yet. */
export const severity = z.enum(['critical', 'warning', 'unknown', 'ok']);
export type Severity = z.infer<typeof severity>;

const problem = z
  .object({
    severity: z.enum(['critical', 'warning']),
    kind: z.enum(['target', 'check', 'heartbeat', 'scheduler', 'sockeye']),
    name: z.string().describe('the target, check or heartbeat name; "scheduler" or "sockeye" for sockeye itself'),
    message: z.string().describe('one line for a person'),
  })
  .describe('Something a person should look at; the page lists these first.');

const count = z.object({ name: z.string(), count: z.number().int().nonnegative() });

const target = z.object({
  name: z.string(),
  severity,
  reasons: z.array(z.string()).describe('why the severity is not ok'),
  pids: z.array(z.number().int().positive()),
  processes: z.number().int().nonnegative(),
  processesMin: z.number().int().nonnegative(),
  processesMax: z.number().int().positive().nullable(),
  readable: z.boolean().describe('false when /proc of some process could not be read (permission, vanished)'),
  openFds: z.number().int().nonnegative().nullable().describe('null when no fd directory could be read'),
  maxFds: z.number().int().nonnegative().nullable().describe('lowest soft RLIMIT_NOFILE among the processes'),
  fdUsageRatio: z.number().nonnegative().nullable().describe('worst open/limit ratio among the processes'),
  fdsByType: z.array(count).describe('fd counts by type, largest first'),
  sockets: z.array(z.object({ protocol: z.string(), state: z.string(), count: z.number().int().nonnegative() })),
  topPaths: z.array(count).describe('paths with the most open handles (top N, then "other")'),
  topPeers: z.array(
    z.object({
      peer: z.string(),
      count: z.number().int().nonnegative(),
      states: z.array(count).describe('the sockets to this peer by TCP state'),
    }),
  ),
  listen: z.array(
    z.object({
      port: z.number().int().nonnegative().describe('listening TCP port'),
      queue: z.number().int().nonnegative().describe('connections waiting to be accepted'),
      backlog: z.number().int().nonnegative().nullable().describe('the accept queue limit (the listen() backlog); null when the kernel does not show it'),
    }),
  ),
  closeWaitOldestSeconds: z.number().nonnegative().nullable().describe('how long the oldest TCP socket in CLOSE_WAIT has been in it (since sockeye first saw it); null when there is none'),
  residentMemoryBytes: z.number().nonnegative().nullable(),
  memoryLimitBytes: z.number().nonnegative().nullable().describe('cgroup memory limit, null when unlimited or unknown'),
  threads: z.number().int().nonnegative(),
  startedAt: timestamp.nullable().describe('start of the oldest process'),
});

const run = z.object({
  at: timestamp.describe('when the run finished'),
  ok: z.boolean(),
  durationSeconds: seconds,
});

const check = z.object({
  name: z.string(),
  type: z.string().describe('http, tcp or tls'),
  target: z.string().describe('what is checked, without credentials'),
  severity,
  state: z.enum(['passing', 'failing', 'pending']),
  reason: z.string().nullable().describe('bounded failure reason of the last run: timeout, refused, reset, dns, tls, status, body, expect'),
  message: z.string().nullable().describe('detail of the last failure, without credentials'),
  lastRunAt: timestamp.nullable(),
  lastSuccessAt: timestamp.nullable(),
  latencySeconds: seconds.nullable().describe("the last run's duration"),
  intervalSeconds: seconds,
  timeoutSeconds: seconds,
  running: z.boolean().describe('a run is in progress now'),
  certExpiresAt: timestamp.nullable().describe('earliest certificate expiry seen (TLS)'),
  recent: z.array(run).describe('recent runs, oldest first'),
});

const heartbeat = z.object({
  name: z.string(),
  severity,
  state: z.enum(['up', 'late', 'failed', 'never']).describe('late: no success within period + grace (the page shows MISSED); failed: the last outcome was a failure; never: no ping yet'),
  running: z.boolean().describe('a start ping newer than the last success or failure: the job is running now'),
  periodSeconds: seconds,
  graceSeconds: seconds,
  lastSuccessAt: timestamp.nullable(),
  lastFailAt: timestamp.nullable(),
  lastStartAt: timestamp.nullable(),
  lastDurationSeconds: seconds.nullable().describe('start to success of the last run'),
  lastExitStatus: z.number().int().nullable(),
  ageSeconds: seconds.nullable().describe('since the last success; null when never'),
});

export const statusReportSchema = z
  .object({
    version: z.string(),
    generatedAt: timestamp,
    startedAt: timestamp.describe('when this sockeye started'),
    severity: severity.describe('the worst of everything below'),
    problems: z.array(problem).describe('critical first'),
    scheduler: z
      .object({
        severity,
        running: z.boolean(),
        lastTickAt: timestamp.nullable(),
        ageSeconds: seconds.nullable(),
        staleAfterSeconds: seconds.describe('a tick older than this means the checks are not running'),
      })
      .describe("the checker's own loop; it ticks every second"),
    sockeye: z
      .object({
        pid: z.number().int().positive(),
        openFds: z.number().int().nonnegative().nullable(),
        maxFds: z.number().int().nonnegative().nullable(),
        residentMemoryBytes: z.number().nonnegative().nullable(),
        uptimeSeconds: seconds,
      })
      .describe("sockeye's own process: the checker must not leak"),
    targets: z.array(target).describe('problems first, then by name'),
    checks: z.array(check).describe('problems first, then by name'),
    heartbeats: z.array(heartbeat).describe('problems first, then by name'),
  })
  .meta({ title: 'sockeye status', description: 'GET /api/status: what the status page shows.' });

export type StatusReport = z.infer<typeof statusReportSchema>;
export type Problem = z.infer<typeof problem>;
export type TargetStatus = z.infer<typeof target>;
export type CheckStatus = z.infer<typeof check>;
export type CheckRun = z.infer<typeof run>;
export type HeartbeatStatus = z.infer<typeof heartbeat>;
export type Count = z.infer<typeof count>;
