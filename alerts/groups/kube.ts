import type { RecordingGroupSpec } from '../rule.js';

// Names for a node agent's containers when it has no pod list (node.kubernetes
// off): its targets are <pod uid>/<container id> and its per-container series
// carry no namespace, pod or container (scraped without honorLabels, the
// agent's own). kube-state-metrics knows both ids.
// One series per target, 1, with the target's namespace, pod and container;
// join it onto any sockeye series (docs/deploy.md):
//   sockeye_process_open_fds
//   * on (job, instance, target) group_left (namespace, pod, container)
//   namespace_pod_container:sockeye_target_info:kube
//
// kube-state-metrics is scraped with honorLabels, so its namespace and pod are
// the object's. Each branch of `or` names only the targets the ones before it
// could not: the container id first (it also names the container, and a
// static pod's containers, whose mirror pod has another UID); then the pod
// UID, for a container not yet in kube-state-metrics' status (namespace and
// pod only); then, for a static pod, the config hash its cgroup is named
// after, which kube-state-metrics exports only when its
// --metric-annotations-allowlist has pods=[kubernetes.io/config.hash].
export const kubeGroup: RecordingGroupSpec = {
  name: 'sockeye.kube',
  records: (c) => {
    const sk = c.selectors.sockeye;
    const ksm = c.selectors.kubeStateMetrics;
    // The agent's own namespace, pod and container go: job and instance (and
    // the target) name the series. max: one series per target however many
    // were scraped (a series that went stale and came back).
    const targets = (filter = '') => `max without (namespace, pod, container) (sockeye_target_info{${sk}${filter}})`;
    // kube-state-metrics may run as several replicas or shards: max keeps one.
    const byUid = (metric: string, uidLabel: string) =>
      `max by (pod_uid, namespace, pod) (label_replace(${metric}{${ksm}, ${uidLabel}!=""}, "pod_uid", "$1", "${uidLabel}", "(.+)"))`;
    return [
      {
        record: 'namespace_pod_container:sockeye_target_info:kube',
        expr: `
  ${targets(', container_id!=""')}
* on (container_id) group_left (namespace, pod, container)
  max by (container_id, namespace, pod, container) (kube_pod_container_info{${ksm}, container_id!=""})
or on (job, instance, target)
  ${targets(', pod_uid!=""')}
* on (pod_uid) group_left (namespace, pod)
  ${byUid('kube_pod_info', 'uid')}
or on (job, instance, target)
  ${targets(', pod_uid!=""')}
* on (pod_uid) group_left (namespace, pod)
  ${byUid('kube_pod_annotations', 'annotation_kubernetes_io_config_hash')}`.trim(),
      },
    ];
  },
};
