import type { CgroupEntry } from './cgroup.js';

// Which Kubernetes container a process belongs to, read from the cgroup path
// kubelet and the runtime give it: the pod UID and container id that
// kube-state-metrics also exports, with no API server or runtime to ask.
//
// The names, from kubelet (pkg/kubelet/cm: a pod is kubepods[/<qos>]/pod<uid>,
// guaranteed pods have no <qos> level; the systemd driver turns "-" in each
// part into "_" and nests a-b-c.slice in a-b.slice), CRI-O
// (internal/config/cgmgr) and runc (the runtimes' "<slice>:<prefix>:<id>"
// becomes <prefix>-<id>.scope under the slice):
//
//   systemd   …/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid with _>.slice/<leaf>
//             …/kubepods.slice/kubepods-pod<uid with _>.slice/<leaf>               (guaranteed)
//             leaf: cri-containerd-<id>.scope, crio-<id>.scope, docker-<id>.scope
//   cgroupfs  …/kubepods/besteffort/pod<uid>/<leaf>, …/kubepods/pod<uid>/<leaf>     (guaranteed)
//             leaf: <id> (containerd and Docker alike), crio-<id>
//
// "…" is whatever holds kubelet's cgroup root: nothing on a plain node,
// kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-… or /kubelet/kubepods/…
// under kind's --cgroup-root=/kubelet, and /docker/<id>/ or
// /system.slice/docker-<id>.scope/ when the node itself is a container.

export type QosClass = 'guaranteed' | 'burstable' | 'besteffort';
export type ContainerRuntime = 'containerd' | 'cri-o' | 'docker';

export interface KubeContainer {
  /**
   * The pod's metadata.uid as a dashed UUID. A static pod's is the 32-hex hash
   * kubelet gives it; its mirror pod in the API has another uid and carries
   * this hash in the kubernetes.io/config.hash annotation.
   */
  podUid: string;
  /** 64 hex: what follows "containerd://", "cri-o://" or "docker://" in the pod's status. */
  containerId: string;
  /** null for a bare-id cgroup (cgroupfs driver): containerd and Docker name it the same way. */
  runtime: ContainerRuntime | null;
  qosClass: QosClass;
}

interface Pod {
  podUid: string;
  qosClass: QosClass;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const STATIC_POD_UID = /^[0-9a-f]{32}$/;

// Prefix: kubelet's --cgroup-root parts, each already "-"-free.
const SYSTEMD_POD = /^((?:[^-]+-)*?)kubepods(?:-(burstable|besteffort))?-pod([0-9a-f_]+)\.slice$/;
const CGROUPFS_POD = /^pod([0-9a-f-]+)$/;

// runc with the cgroupfs driver under a kubelet using the systemd one (a
// misconfigured containerd) takes containerd's "<slice>:cri-containerd:<id>"
// as a literal directory name.
const LITERAL_SYSTEMD_NAME = /^(.+\.slice):cri-containerd:([0-9a-f]{64})$/;

// CRI-O's conmon sits beside its container as crio-conmon-<id>[.scope], with
// the container's own id: matching it would add the monitor's fds to the
// container's, so it matches none of these and counts as outside any container.
const LEAVES: ReadonlyArray<readonly [RegExp, ContainerRuntime | null]> = [
  [/^cri-containerd-([0-9a-f]{64})\.scope$/, 'containerd'],
  [/^crio-([0-9a-f]{64})(?:\.scope)?$/, 'cri-o'],
  [/^docker-([0-9a-f]{64})\.scope$/, 'docker'],
  [/^([0-9a-f]{64})$/, null],
];

function podUid(text: string): string | null {
  return UUID.test(text) || STATIC_POD_UID.test(text) ? text : null;
}

/** parent: the component above, ".." or undefined when the reader's cgroup namespace hides it. */
function systemdPod(name: string, parent: string | undefined): Pod | null {
  const m = SYSTEMD_POD.exec(name);
  if (m === null) return null;
  const [, root = '', qos, escaped = ''] = m;
  // The slice's own name says where systemd put it; a different parent is not kubelet's.
  if (parent !== undefined && parent !== '..' && parent !== `${root}kubepods${qos === undefined ? '' : `-${qos}`}.slice`) return null;
  const uid = podUid(escaped.replaceAll('_', '-'));
  return uid === null ? null : { podUid: uid, qosClass: (qos as QosClass | undefined) ?? 'guaranteed' };
}

function cgroupfsPod(name: string, parent: string | undefined, grandparent: string | undefined): Pod | null {
  const m = CGROUPFS_POD.exec(name);
  if (m === null) return null;
  let qosClass: QosClass;
  if (parent === 'kubepods') qosClass = 'guaranteed';
  else if ((parent === 'burstable' || parent === 'besteffort') && (grandparent === 'kubepods' || grandparent === '..' || grandparent === undefined)) qosClass = parent;
  // Only the name "kubepods" above says guaranteed: a pod reached through ".." has no QoS to read.
  else return null;
  const uid = podUid(m[1]!);
  return uid === null ? null : { podUid: uid, qosClass };
}

function container(pod: Pod, leaf: string): KubeContainer | null {
  for (const [re, runtime] of LEAVES) {
    const m = re.exec(leaf);
    if (m !== null) return { ...pod, containerId: m[1]!, runtime };
  }
  return null;
}

/**
 * The container whose cgroup holds this path, or null: outside any pod, the
 * pod's own cgroup, CRI-O's conmon, a name kubelet would not write.
 *
 * The path may come from another cgroup namespace than the process's (the
 * kernel writes it relative to the reader's, with leading ".."): the systemd
 * names still say everything; a cgroupfs pod reached through ".." gives null,
 * as its QoS level is then out of sight.
 *
 * The pod sandbox ("pause") container cannot be told apart here: runtimes give
 * it a container cgroup named like any other. Callers that must skip it look
 * at its process.
 *
 * With pods nested in a pod's container (kind in a pod), the outermost pod
 * counts: the container the reader's kubelet runs.
 */
export function kubeContainerOfPath(path: string): KubeContainer | null {
  const parts = path.split('/').filter((p) => p !== '');
  let first = 0;
  while (parts[first] === '..') first++;
  // The kernel writes ".." only at the start; anywhere else the path is not one it wrote.
  if (parts.includes('..', first)) return null;
  for (let i = first; i < parts.length; i++) {
    const name = parts[i]!;
    const literal = LITERAL_SYSTEMD_NAME.exec(name);
    if (literal !== null) {
      const pod = systemdPod(literal[1]!, undefined);
      return pod === null ? null : { ...pod, containerId: literal[2]!, runtime: 'containerd' };
    }
    const pod = systemdPod(name, parts[i - 1]) ?? cgroupfsPod(name, parts[i - 1], parts[i - 2]);
    if (pod === null) continue;
    // Components below the container's own cgroup (crun's "container", a
    // container's own sub-cgroups) are still that container.
    const leaf = parts[i + 1];
    return leaf === undefined ? null : container(pod, leaf);
  }
  return null;
}

/** memory, then cpu (v1), then the unified line (v2), then any other: the first that names a container. */
function preference(entry: CgroupEntry): number {
  if (entry.controllers.includes('memory')) return 0;
  if (entry.controllers.includes('cpu')) return 1;
  if (entry.id === 0 && entry.controllers.length === 0) return 2;
  return 3;
}

/**
 * The container of a process from its /proc/PID/cgroup lines (parsePidCgroup),
 * or null for a process outside any container (see kubeContainerOfPath).
 * v1 lists one line per hierarchy: the memory and cpu ones are those kubelet
 * sets limits on, so they are read first; a hybrid host's "0::" line may hold
 * only systemd's view.
 */
export function kubeContainerOf(entries: readonly CgroupEntry[]): KubeContainer | null {
  for (const entry of [...entries].sort((a, b) => preference(a) - preference(b))) {
    const found = kubeContainerOfPath(entry.path);
    if (found !== null) return found;
  }
  return null;
}
