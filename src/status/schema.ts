import { z } from 'zod';
import { PING_BODY_LIMIT } from '../heartbeats/record.js';

// The contract of GET /api/status. docs/status.schema.json is generated from
// this (npm run gen:status-schema) and a test keeps the two equal, so scripts
// written against the documented schema keep working.

const seconds = z.number().nonnegative();
/** Characters of each ping body in the report; the page refreshes every few seconds. */
export const BODY_PREVIEW_CHARS = 2000;
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

const phases = z
  .object({
    resolve: seconds.describe('looking up the host name (0 for an IP literal)'),
    connect: seconds.describe('the TCP connection'),
    tls: seconds.describe('the TLS handshake (0 for http://)'),
    processing: seconds.describe('from the connection ready to the first byte of the response'),
    transfer: seconds.describe('from the first byte to the end of the body'),
  })
  .describe('seconds per phase, summed over redirects');

const check = z.object({
  name: z.string(),
  type: z.string().describe('http, tcp, tls, dns or grpc'),
  target: z.string().describe('what is checked, without credentials'),
  severity,
  state: z.enum(['passing', 'failing', 'pending']),
  reason: z.string().nullable().describe('bounded failure reason of the last run: timeout, refused, reset, dns, tls, status, body, expect, rcode, answer, not_serving'),
  message: z.string().nullable().describe('detail of the last failure, without credentials'),
  lastRunAt: timestamp.nullable(),
  lastSuccessAt: timestamp.nullable(),
  latencySeconds: seconds.nullable().describe("the last run's duration"),
  intervalSeconds: seconds,
  timeoutSeconds: seconds,
  running: z.boolean().describe('a run is in progress now'),
  certExpiresAt: timestamp.nullable().describe('earliest certificate expiry seen (TLS)'),
  phases: phases.nullable().describe("http checks: where the last run's time went; null for other kinds and before the first run"),
  answerRecords: z.number().int().nonnegative().nullable().describe('dns checks: records in the answer section of the last response; null without one'),
  recent: z.array(run).describe('recent runs, oldest first'),
});

const heartbeatPing = z.object({
  seq: z.number().int().positive().describe('1 for the first ping this heartbeat ever stored'),
  at: timestamp,
  kind: z.enum(['success', 'start', 'fail', 'log']),
  exitStatus: z.number().int().min(0).max(255).nullable(),
  rid: z.string().nullable().describe('the run id (?rid=) the ping carried'),
  method: z.string(),
  source: z.string().describe('the address the ping came from'),
  durationSeconds: seconds.nullable().describe('start to this ping, for the end of a run'),
  bodyBytes: z.number().int().nonnegative().describe('the size of the request body as sent'),
  body: z.string().nullable().describe(`the request body as UTF-8, at most the last ${BODY_PREVIEW_CHARS} characters (the whole body is at /api/heartbeats/<name>/pings); null when there was none or it is no longer kept`),
  bodyTruncated: z.boolean().describe(`body is not all that was sent: only its last ${BODY_PREVIEW_CHARS} characters are here, or the request body was longer than ${PING_BODY_LIMIT} bytes and only its first ${PING_BODY_LIMIT} were kept`),
});

const heartbeat = z.object({
  name: z.string(),
  severity,
  state: z
    .enum(['up', 'grace', 'late', 'failed', 'never'])
    .describe('grace: past the expected time, within grace; late: past the deadline (the page shows MISSED); failed: the last outcome was a failure; never: no ping yet'),
  running: z.boolean().describe('the latest start ping has not been followed by the end of its run: the job is running now'),
  periodSeconds: seconds.nullable().describe('null for a cron heartbeat'),
  schedule: z.string().nullable().describe('the cron expression; null for a period heartbeat'),
  timezone: z.string().nullable(),
  graceSeconds: seconds,
  expectedAt: timestamp.nullable().describe('when the next ping is expected'),
  deadlineAt: timestamp.nullable().describe('when the heartbeat is late without one'),
  lastSuccessAt: timestamp.nullable(),
  lastFailAt: timestamp.nullable(),
  lastStartAt: timestamp.nullable(),
  lastDurationSeconds: seconds.nullable().describe('start to end of the last run'),
  lastExitStatus: z.number().int().nullable(),
  ageSeconds: seconds.nullable().describe('since the last success; null when never'),
  recentPings: z.array(heartbeatPing).describe('the last 5 pings, newest first (all kept pings: /api/heartbeats/<name>/pings)'),
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
export type HeartbeatPing = z.infer<typeof heartbeatPing>;
export type Count = z.infer<typeof count>;
