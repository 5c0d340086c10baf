import { z } from 'zod';
import { checkSchema } from './checks.js';
import { externalUrlSchema } from './externalUrl.js';
import { heartbeatSchema, pingKey, uniqueHeartbeatKeys } from './heartbeats.js';
import { hostPort } from './fields.js';
import { leaksSchema } from './leaks.js';
import { nodeSchema } from './node.js';
import { restartsSchema } from './restarts.js';
import { snapshotsSchema } from './snapshots.js';
import { statusPageSchema } from './statusPage.js';
import { targetSchema } from './targets.js';

export const DEFAULT_LISTEN = '0.0.0.0:9855';

function uniqueNames<T extends { name: string }>(what: string) {
  return (items: T[], ctx: z.RefinementCtx) => {
    const seen = new Map<string, number>();
    items.forEach((item, i) => {
      const first = seen.get(item.name);
      if (first !== undefined) {
        ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `duplicate ${what} name "${item.name}" (also at index ${first})` });
      } else seen.set(item.name, i);
    });
  };
}

export const configSchema = z
  .strictObject({
    // sidecar: the configured targets (or every process by command name);
    // node: one target per container of the node, found from cgroups (node: below).
    mode: z.enum(['sidecar', 'node'], { error: 'expected one of sidecar, node' }).default('sidecar'),
    listen: hostPort.default(DEFAULT_LISTEN),
    procRoot: z.string({ error: 'expected a directory path' }).min(1, 'expected a directory path').default('/proc'),
    // Where the cgroup hierarchy is mounted, for the memory limit (tests point it at fixtures).
    cgroupRoot: z.string({ error: 'expected a directory path' }).min(1, 'expected a directory path').default('/sys/fs/cgroup'),
    // The zero-config default's bound: the command names with the most resident
    // memory get a target each, the rest are summed into one target "other".
    maxGroups: z.number({ error: 'expected a whole number from 2 to 1000' }).int('expected a whole number from 2 to 1000').min(2, 'expected a whole number from 2 to 1000').max(1000, 'expected a whole number from 2 to 1000').default(20),
    topN: z.number({ error: 'expected a whole number from 1 to 1000' }).int('expected a whole number from 1 to 1000').min(1, 'expected a whole number from 1 to 1000').max(1000, 'expected a whole number from 1 to 1000').default(10),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'expected one of fatal, error, warn, info, debug, trace, silent' }).default('info'),
    stateDir: z.string({ error: 'expected a directory path' }).min(1, 'expected a directory path').default('.sockeye-state'),
    // Omitted: the zero-config default (every visible process but sockeye,
    // grouped by command name). An explicit list replaces it.
    targets: z.array(targetSchema, { error: 'expected a list of targets' }).superRefine(uniqueNames('target')).optional(),
    checks: z.array(checkSchema, { error: 'expected a list of checks' }).superRefine(uniqueNames('check')).default([]),
    heartbeats: z
      .array(heartbeatSchema, { error: 'expected a list of heartbeats' })
      .superRefine(uniqueNames('heartbeat'))
      .superRefine(uniqueHeartbeatKeys)
      .default([]),
    // The project ping key of healthchecks.io: /ping/<pingKey>/<slug> URLs.
    pingKey: pingKey.optional(),
    leaks: leaksSchema,
    restarts: restartsSchema,
    statusPage: statusPageSchema,
    node: nodeSchema,
    // Where people reach this sockeye from outside: exported as sockeye_external_url_info for the alerts' snapshot links.
    externalUrl: externalUrlSchema,
    snapshots: snapshotsSchema,
  })
  .superRefine((c, ctx) => {
    if (c.mode === 'node' && c.targets !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['targets'], message: 'not used in node mode (every container of the node is a target); remove it, or use mode: sidecar' });
    }
    // Namespaces and container names come from the pod list; cgroups hold only the pod UID and container id.
    if (!c.node.kubernetes.enabled) {
      for (const which of ['include', 'exclude'] as const) {
        const f = c.node[which];
        for (const key of ['namespaces', 'containers'] as const) {
          if (f?.[key] !== undefined) ctx.addIssue({ code: 'custom', path: ['node', which, key], message: 'needs node.kubernetes.enabled: true (namespaces and container names are known only from the pod list)' });
        }
      }
    }
  });

export type Config = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
