import { z } from 'zod';
import { duration, regex } from './fields.js';

// Node mode (mode: node): one sockeye per node, one target per container,
// discovered from the cgroups kubelet makes. Everything it needs beyond the
// shared keys (procRoot, cgroupRoot, topN) is here.

const IN_CLUSTER = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Regexes, unanchored like the target matchers; a value matching any of them matches. */
const names = z.array(regex, { error: 'expected a list of regular expressions' });

const filterSchema = z.strictObject({
  namespaces: names.optional(),
  containers: names.optional(),
});

export const kubernetesSchema = z
  .strictObject({
    // Lists the pods of this node to name targets <namespace>/<pod>/<container>;
    // off, targets are named by pod UID and container id, and the recording
    // rules join the names from kube-state-metrics.
    enabled: z.boolean({ error: 'expected true or false' }).default(false),
    // Default: the environment variable NODE_NAME (the DaemonSet sets it from spec.nodeName).
    nodeName: z.string({ error: 'expected a node name' }).min(1, 'expected a node name').optional(),
    // Default: https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, as every in-cluster client.
    apiServer: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as "https://10.0.0.1:443"' }).optional(),
    tokenFile: z.string({ error: 'expected a file path' }).min(1, 'expected a file path').default(`${IN_CLUSTER}/token`),
    caFile: z.string({ error: 'expected a file path' }).min(1, 'expected a file path').default(`${IN_CLUSTER}/ca.crt`),
    // Pods come and go between refreshes: an unknown pod UID also asks again (at most once per minRefresh).
    refreshInterval: duration.refine((ms) => ms >= 5000, 'must be at least 5s').default(60_000),
  })
  .default({ enabled: false, tokenFile: `${IN_CLUSTER}/token`, caFile: `${IN_CLUSTER}/ca.crt`, refreshInterval: 60_000 });

export const nodeSchema = z
  .strictObject({
    // The containers with the most resident memory keep a target each; the
    // rest are summed into one target "other" (as maxGroups does for zero-config).
    maxContainers: z.number({ error: 'expected a whole number from 2 to 10000' }).int('expected a whole number from 2 to 10000').min(2, 'expected a whole number from 2 to 10000').max(10000, 'expected a whole number from 2 to 10000').default(200),
    // Processes in no pod's container (system daemons, kubelet, conmon):
    // "group" gives each top-level cgroup (a systemd unit under system.slice,
    // or the first directory) a target named host/<cgroup>; "exclude" drops them.
    outsidePods: z.enum(['group', 'exclude'], { error: 'expected one of group, exclude' }).default('group'),
    // By namespace and container name: only known with kubernetes.enabled.
    include: filterSchema.optional(),
    exclude: filterSchema.optional(),
    kubernetes: kubernetesSchema,
  })
  .default({ maxContainers: 200, outsidePods: 'group', kubernetes: { enabled: false, tokenFile: `${IN_CLUSTER}/token`, caFile: `${IN_CLUSTER}/ca.crt`, refreshInterval: 60_000 } });

export type NodeConfig = z.output<typeof nodeSchema>;
export type KubernetesConfig = z.output<typeof kubernetesSchema>;

/** Where the pod list comes from, with the in-cluster defaults filled in. */
export interface KubeAccess {
  nodeName: string;
  apiServer: string;
  tokenFile: string;
  caFile: string;
  refreshIntervalMs: number;
}

/**
 * The pod list's settings with their defaults from the environment, or the
 * problems (each naming its key) when a default is missing there.
 */
export function kubeAccess(k: KubernetesConfig, env: Record<string, string | undefined>): KubeAccess | string[] {
  const problems: string[] = [];
  const nodeName = k.nodeName ?? env.NODE_NAME;
  if (!nodeName) problems.push('node.kubernetes.nodeName: not set, and NODE_NAME is not in the environment (set it from spec.nodeName with the downward API)');
  let apiServer = k.apiServer;
  if (apiServer === undefined) {
    const host = env.KUBERNETES_SERVICE_HOST;
    const port = env.KUBERNETES_SERVICE_PORT ?? '443';
    if (host) apiServer = `https://${host.includes(':') ? `[${host}]` : host}:${port}`;
    else problems.push('node.kubernetes.apiServer: not set, and KUBERNETES_SERVICE_HOST is not in the environment (not running in a pod?)');
  }
  if (problems.length > 0) return problems;
  return { nodeName: nodeName!, apiServer: apiServer!.replace(/\/+$/, ''), tokenFile: k.tokenFile, caFile: k.caFile, refreshIntervalMs: k.refreshInterval };
}
