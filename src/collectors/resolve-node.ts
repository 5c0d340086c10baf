import { kubeContainerOf, type KubeContainer } from '../procfs/pid/cgroup-kube.js';
import { parsePidCgroup, type CgroupEntry } from '../procfs/pid/cgroup.js';
import { compiled, OTHER_GROUP, type ProcessTable, type ResolvedTarget } from './resolve.js';
import type { KubeIdentity } from './snapshot.js';

// Node mode: the targets are the node's containers, found from the cgroup
// paths kubelet and the runtime give their processes (cgroup-kube.ts), not
// from matchers. Plain data in and out: it runs where the pipeline runs (the
// worker thread with the text source).

/** One pod of this node as the API lists it (plain data: posted to the worker). */
export interface PodInfo {
  namespace: string;
  name: string;
  /** By the 64-hex container id: the container's name and its id as the pod's status writes it ("containerd://…"). */
  containers: Record<string, { name: string; containerId: string }>;
}

/** The node's pods by UID, from the pod list; undefined without one. */
export type PodDirectory = Record<string, PodInfo>;

export interface NameFilter {
  namespaces?: string[];
  containers?: string[];
}

export interface NodeSpec {
  /** At most this many targets; the containers (and host groups) with the least resident memory are summed into "other". */
  maxContainers: number;
  /** Processes in no pod's container: a target per top-level cgroup ("host/<cgroup>"), or left out. */
  outsidePods: 'group' | 'exclude';
  include?: NameFilter;
  exclude?: NameFilter;
  pods?: PodDirectory;
}

/** The labels of a target that is no container ("other", the host groups): every one absent. */
export const NO_KUBE: KubeIdentity = { podUid: '', containerId: '', qosClass: '', namespace: '', pod: '', container: '' };

const HOST_PREFIX = 'host/';

/**
 * The container id as kube-state-metrics' kube_pod_container_info writes it.
 * A bare-id cgroup (cgroupfs driver) does not say whether containerd or
 * Docker made it; containerd is what kubelet talks to since dockershim went
 * (1.24), and the pod list, where enabled, gives the real one.
 */
export function containerIdUri(c: KubeContainer): string {
  return `${c.runtime ?? 'containerd'}://${c.containerId}`;
}

/** The cgroup a host process is grouped by: a systemd unit in its slice (system.slice/ssh.service), else the first directory. */
export function hostGroupOf(entries: readonly CgroupEntry[]): string {
  // The unified line where there is one (v2, or v1's systemd view beside it), else the memory hierarchy.
  const entry = entries.find((e) => e.id === 0 && e.controllers.length === 0) ?? entries.find((e) => e.controllers.includes('memory')) ?? entries[0];
  const parts = (entry?.path ?? '/').split('/').filter((p) => p !== '' && p !== '..');
  if (parts.length === 0) return 'root';
  return parts[0]!.endsWith('.slice') && parts.length > 1 ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

function matchesAny(value: string, sources: readonly string[] | undefined): boolean {
  return sources !== undefined && sources.some((s) => compiled(s).test(value));
}

function kept(spec: NodeSpec, namespace: string, container: string): boolean {
  const { include, exclude } = spec;
  if (include?.namespaces && !matchesAny(namespace, include.namespaces)) return false;
  if (include?.containers && !matchesAny(container, include.containers)) return false;
  return !matchesAny(namespace, exclude?.namespaces) && !matchesAny(container, exclude?.containers);
}

interface Group {
  kube: KubeIdentity;
  pids: number[];
  rss: number;
  comms: Set<string>;
}

/**
 * One target per container of the node. Named <namespace>/<pod>/<container>
 * where the pod list knows the pod, else <pod uid>/<first 12 hex of the
 * container id> (the recording rules join the names). The pod sandbox
 * ("pause") is left out: it holds the pod's namespaces and nothing to watch,
 * kube-state-metrics has no container for it to join, and cAdvisor's
 * container="POD" series are what dashboards filter away first.
 * Sockeye's own container is one like any other (its cost on the node is
 * worth seeing), so nothing is skipped as "self".
 */
export function resolveNode(spec: NodeSpec, table: ProcessTable): ResolvedTarget[] {
  // Processes of one container share their cgroup file: parsed once per distinct text.
  const parsed = new Map<string, { kube: KubeContainer | null; host: string }>();
  const groups = new Map<string, Group>();
  for (const pid of table.pids()) {
    const stat = table.stat(pid);
    if (!stat) continue;
    let text: string;
    try {
      text = table.cgroup(pid);
    } catch {
      continue; // gone since it was listed
    }
    let p = parsed.get(text);
    if (!p) {
      let entries: CgroupEntry[] = [];
      try {
        entries = parsePidCgroup(text);
      } catch {
        // not a cgroup file we understand: a host process of the root group
      }
      parsed.set(text, (p = { kube: kubeContainerOf(entries), host: hostGroupOf(entries) }));
    }
    let name: string;
    let kube: KubeIdentity;
    if (p.kube) {
      const pod = spec.pods?.[p.kube.podUid];
      const known = pod?.containers[p.kube.containerId];
      if (pod && known) {
        if (!kept(spec, pod.namespace, known.name)) continue;
        name = `${pod.namespace}/${pod.name}/${known.name}`;
        kube = { podUid: p.kube.podUid, containerId: known.containerId, qosClass: p.kube.qosClass, namespace: pod.namespace, pod: pod.name, container: known.name };
      } else {
        // Not (yet) in the pod list, or the sandbox, whose id the pod's status does not list.
        name = `${p.kube.podUid}/${p.kube.containerId.slice(0, 12)}`;
        kube = { podUid: p.kube.podUid, containerId: containerIdUri(p.kube), qosClass: p.kube.qosClass, namespace: pod?.namespace ?? '', pod: pod?.name ?? '', container: '' };
      }
    } else {
      if (spec.outsidePods === 'exclude') continue;
      name = `${HOST_PREFIX}${p.host}`;
      kube = NO_KUBE;
    }
    let g = groups.get(name);
    if (!g) groups.set(name, (g = { kube, pids: [], rss: 0, comms: new Set() }));
    g.pids.push(pid);
    g.rss += stat.rssPages;
    g.comms.add(stat.comm);
  }
  for (const [name, g] of groups) if (g.kube.podUid !== '' && g.comms.size === 1 && g.comms.has('pause')) groups.delete(name);

  const target = (name: string, g: Pick<Group, 'kube' | 'pids'>): ResolvedTarget => ({ spec: { name, processesMin: 0 }, auto: true, pids: g.pids, problems: [], kube: g.kube });
  // A host cgroup named "other" cannot clash: host groups are prefixed. Ranked as zero-config ranks commands: by resident memory.
  const ranked = [...groups].sort(([a, x], [b, y]) => y.rss - x.rss || (a < b ? -1 : a > b ? 1 : 0));
  const room = ranked.length > spec.maxContainers ? spec.maxContainers - 1 : ranked.length;
  const folded = ranked.slice(room).flatMap(([, g]) => g.pids);
  const shown = ranked.slice(0, room).map(([name, g]) => target(name, g));
  shown.sort((a, b) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0));
  if (folded.length > 0) shown.push(target(OTHER_GROUP, { kube: NO_KUBE, pids: folded.sort((a, b) => a - b) }));
  return shown;
}
