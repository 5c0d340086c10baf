/**
 * What a Kubernetes node has, built for real on this machine (root): pods
 * whose processes sit in cgroups named exactly as kubelet and the runtime name
 * them, each pod in its own network namespace (`unshare -n`, loopback up) with
 * its own loopback traffic. No kubelet, no runtime: the names are the contract
 * node mode reads (src/procfs/pid/cgroup-kube.ts).
 *
 *   const node = await buildKubeNode([
 *     { namespace: 'shop', name: 'web-0', driver: 'systemd', runtime: 'containerd', qos: 'burstable',
 *       containers: [{ name: 'app', processes: 3, files: 5, listeners: 1, pending: 2, closeWait: 4 }] },
 *   ]);
 *   node.pods[0].containers[0]  // { name, id (64 hex), cgroupDir, pids, ports }
 *   await node.remove();         // kills every process, removes every cgroup
 *
 * Where: the systemd driver on the cgroup v2 mount (the unified hierarchy
 * beside v1 on a hybrid host), the cgroupfs driver on the v1 memory hierarchy
 * (on a v2-only host, on v2 too), each below this process's own cgroup in
 * a directory of its own ("sockeye-kube-<pid>-<n>", which kubelet's
 * --cgroup-root would be). A pod's sandbox ("pause") is a holder named pause
 * holding the network namespace, in a container cgroup of its own, as runtimes
 * make it; its containers join that namespace with nsenter.
 *
 * Every process is a holder (test/support/procs.ts): a container's first one
 * opens its files and forks the rest, which keep them; then it alone opens
 * the sockets (each socket held by one process, as on a node). Pods are
 * built a few at a time, so a hundred take seconds.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, readlinkSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnHolder, type Holder, type HoldSpec } from './procs.js';
import { poll } from './poll.js';

export type CgroupDriver = 'systemd' | 'cgroupfs';
export type Runtime = 'containerd' | 'cri-o' | 'docker';
export type Qos = 'guaranteed' | 'burstable' | 'besteffort';

export interface ContainerPlan {
  name: string;
  /** Processes in the container (the first and its forks; default 1). Each holds the files; the first alone the sockets. */
  processes?: number;
  /** Files each process holds open (all under one temp path per container). */
  files?: number;
  /** TCP listeners on 127.0.0.1 in the pod's namespace, each with `pending` connections waiting in its accept queue. */
  listeners?: number;
  pending?: number;
  /** Connections to the first listener, accepted: two sockets each (needs listeners ≥ 1). */
  established?: number;
  /** Connections to the first listener the client closed: one socket each in CLOSE_WAIT (needs listeners ≥ 1). */
  closeWait?: number;
  /** RLIMIT_NOFILE (soft and hard) of its processes, for more fds than the default 1024. */
  nofile?: number;
}

export interface PodPlan {
  namespace: string;
  name: string;
  driver: CgroupDriver;
  runtime: Runtime;
  qos: Qos;
  containers: ContainerPlan[];
}

export interface BuiltContainer {
  name: string;
  /** 64 hex, as the runtime would make it. */
  id: string;
  cgroupDir: string;
  /** Every process, the first one first. */
  pids: number[];
  ports: number[];
}

export interface BuiltPod {
  plan: PodPlan;
  uid: string;
  /** The sandbox's pid: its network namespace is the pod's. */
  pausePid: number;
  pauseId: string;
  /** Inode of the pod's network namespace. */
  netns: number;
  containers: BuiltContainer[];
}

export interface KubeNode {
  pods: BuiltPod[];
  /** Where each driver's tree was made (kubelet's --cgroup-root, as it were). */
  roots: Partial<Record<CgroupDriver, string>>;
  remove(): Promise<void>;
}

/** Mount points of the v2 hierarchy and of v1's memory controller, from mountinfo. */
export function cgroupMounts(): { v2?: string; v1Memory?: string } {
  const out: { v2?: string; v1Memory?: string } = {};
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const mountPoint = left.split(' ')[4]!;
    const [fstype, , options = ''] = right.split(' ');
    if (fstype === 'cgroup2') out.v2 ??= mountPoint;
    if (fstype === 'cgroup' && options.split(',').includes('memory')) out.v1Memory ??= mountPoint;
  }
  return out;
}

/** This process's own cgroup in the v2 hierarchy and in v1's memory one: new trees go below them. */
export function ownCgroups(): { v2: string; v1Memory?: string } {
  const out: { v2: string; v1Memory?: string } = { v2: '/' };
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [id, controllers, path] = [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 1, line.lastIndexOf(':')), line.slice(line.lastIndexOf(':') + 1)];
    if (id === '0' && controllers === '') out.v2 = path;
    if (controllers.split(',').includes('memory')) out.v1Memory = path;
  }
  return out;
}

const hex64 = () => randomBytes(32).toString('hex');
let builds = 0;

/** The pod's cgroup below kubelet's root, as kubelet names it for the driver. */
export function podDir(root: string, driver: CgroupDriver, qos: Qos, uid: string): string {
  if (driver === 'systemd') {
    const escaped = uid.replaceAll('-', '_');
    return qos === 'guaranteed' ? join(root, 'kubepods.slice', `kubepods-pod${escaped}.slice`) : join(root, 'kubepods.slice', `kubepods-${qos}.slice`, `kubepods-${qos}-pod${escaped}.slice`);
  }
  return qos === 'guaranteed' ? join(root, 'kubepods', `pod${uid}`) : join(root, 'kubepods', qos, `pod${uid}`);
}

/** The container's cgroup in its pod's, as the runtime names it (runc's <prefix>-<id>.scope for systemd). */
export function containerDir(pod: string, driver: CgroupDriver, runtime: Runtime, id: string): string {
  if (driver === 'systemd') return join(pod, `${runtime === 'containerd' ? 'cri-containerd' : runtime === 'cri-o' ? 'crio' : 'docker'}-${id}.scope`);
  return join(pod, runtime === 'cri-o' ? `crio-${id}` : id);
}

/** Runs the holder's command line in `cgroupDir` (joined before exec, so everything it opens and forks is in it). */
const inCgroup = (cgroupDir: string) => ['sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', cgroupDir];

async function inBatches<T, R>(items: readonly T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

export async function buildKubeNode(plans: readonly PodPlan[], options: { filesDir?: string; batch?: number } = {}): Promise<KubeNode> {
  const mounts = cgroupMounts();
  const own = ownCgroups();
  if (mounts.v2 === undefined && mounts.v1Memory === undefined) throw new Error('no cgroup v2 mount and no v1 memory controller mounted: cannot build a node');
  const tag = `sockeye-kube-${process.pid}-${++builds}`;
  const roots: Partial<Record<CgroupDriver, string>> = {};
  // systemd on v2; cgroupfs on v1's memory hierarchy where there is one (the other shape kubelet runs on).
  const rootFor = (driver: CgroupDriver): string => {
    const v1 = driver === 'cgroupfs' && mounts.v1Memory !== undefined;
    const base = v1 ? join(mounts.v1Memory!, own.v1Memory ?? '/') : join(mounts.v2 ?? mounts.v1Memory!, own.v2);
    return (roots[driver] ??= join(base, tag));
  };
  const dirs: string[] = [];
  const holders: Holder[] = [];
  const mkdir = (dir: string) => {
    const first = mkdirSync(dir, { recursive: true });
    // Every directory made, parents first: removed in reverse.
    if (first !== undefined) {
      const made: string[] = [];
      for (let d = dir; d.length >= first.length; d = join(d, '..')) made.unshift(d);
      dirs.push(...made);
    }
  };
  const filesDir = options.filesDir ?? '/tmp';
  const files: string[] = [];

  const remove = async (): Promise<void> => {
    await Promise.all(holders.map((h) => h.kill()));
    for (const f of files) rmSync(f, { force: true });
    // Forked children die with their holder (PDEATHSIG) and are reaped by init: their cgroup empties shortly after.
    for (const dir of [...dirs].reverse()) {
      await poll(
        () => {
          try {
            rmdirSync(dir);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          }
          return true;
        },
        { timeoutMs: 30_000, intervalMs: 50, what: `cgroup ${dir} removed` },
      );
    }
  };

  try {
    const pods = await inBatches(plans, options.batch ?? 8, async (plan): Promise<BuiltPod> => {
      const uid = randomUUID();
      const pod = podDir(rootFor(plan.driver), plan.driver, plan.qos, uid);
      const pauseId = hex64();
      const pauseDir = containerDir(pod, plan.driver, plan.runtime, pauseId);
      mkdir(pauseDir);
      const pause = await spawnHolder({ comm: 'pause' }, { wrap: ['unshare', '-n', 'sh', '-c', 'echo $$ > "$0/cgroup.procs" && ip link set lo up && exec "$@"', pauseDir] });
      holders.push(pause);
      const netnsLink = `/proc/${pause.pid}/ns/net`;
      const netns = Number(/\[(\d+)\]/.exec(readlinkSync(netnsLink))![1]);
      const containers: BuiltContainer[] = [];
      for (const c of plan.containers) {
        const id = hex64();
        const dir = containerDir(pod, plan.driver, plan.runtime, id);
        mkdir(dir);
        const listeners = c.listeners ?? 0;
        const file = join(filesDir, `${tag}-${uid}-${c.name}`);
        if (c.files) files.push(file);
        // Files first, then the forks (which keep them), then the sockets, in the first process only:
        // a node's sockets are each held by one process, its fds by all.
        const opened: HoldSpec = {
          ...(c.nofile !== undefined && { nofile: [c.nofile, c.nofile] as [number, number] }),
          files: c.files ? [{ path: file, count: c.files }] : [],
          forks: (c.processes ?? 1) - 1,
        };
        const sockets: HoldSpec = {
          listen: Array.from({ length: listeners }, () => ({ host: '127.0.0.1', backlog: 64 })),
          connections: [
            ...(c.established ? [{ listener: 0, count: c.established, state: 'established' as const }] : []),
            ...(c.closeWait ? [{ listener: 0, count: c.closeWait, state: 'close_wait' as const }] : []),
            ...Array.from({ length: c.pending ? listeners : 0 }, (_, l) => ({ listener: l, count: c.pending!, state: 'pending' as const })),
          ],
        };
        const h = await spawnHolder(opened, { wrap: ['nsenter', `--net=${netnsLink}`, ...inCgroup(dir)] });
        if (listeners > 0) await h.add(sockets);
        holders.push(h);
        containers.push({ name: c.name, id, cgroupDir: dir, pids: [h.pid, ...(h.report.children ?? [])], ports: h.report.listeners.map((l) => l.port) });
      }
      return { plan, uid, pausePid: pause.pid, pauseId, netns, containers };
    });
    return { pods, roots, remove };
  } catch (err) {
    await remove();
    throw err;
  }
}

/** The container id as kube-state-metrics writes it (a bare cgroupfs id does not say its runtime: containerd is assumed). */
export function containerIdUri(pod: BuiltPod, c: BuiltContainer): string {
  const runtime = pod.plan.driver === 'cgroupfs' && pod.plan.runtime !== 'cri-o' ? 'containerd' : pod.plan.runtime;
  return `${runtime}://${c.id}`;
}

/** A PodList as the API server answers node `nodeName`'s pod list for these pods (kubelet-reported container ids), for the pod-list tests' server. */
export function podList(pods: readonly BuiltPod[], nodeName: string): unknown {
  return {
    kind: 'PodList',
    apiVersion: 'v1',
    metadata: { resourceVersion: '1' },
    items: pods.map((p) => ({
      metadata: { name: p.plan.name, namespace: p.plan.namespace, uid: p.uid },
      spec: { nodeName },
      status: { qosClass: p.plan.qos, containerStatuses: p.containers.map((c) => ({ name: c.name, containerID: containerIdUri(p, c), ready: true })) },
    })),
  };
}
