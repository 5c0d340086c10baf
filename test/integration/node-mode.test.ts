// Node mode on a node built for real (test/support/kube-node.ts): pods whose
// processes sit in cgroups named as kubelet names them (systemd driver on the
// v2 mount, cgroupfs on v1's memory hierarchy; containerd, CRI-O, Docker), each pod
// in its own network namespace with its own loopback traffic. Sockeye reads
// them through the real /proc, as a node agent with the host's PID namespace.
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { collectTargets, createTargetCollection, openSource, type KernelSource, type SourceKind, type TargetSnapshot } from '../../src/collectors/index.js';
import type { CollectOptions } from '../../src/collectors/pipeline.js';
import { parseConfig } from '../../src/config/load.js';
import { Registry } from 'prom-client';
import { captureLogger } from '../support/collection.js';
import { HOLDER_STDIO_SOCKETS } from '../support/procs.js';
import { buildKubeNode, containerIdUri, type BuiltContainer, type BuiltPod, type KubeNode, type PodPlan } from '../support/kube-node.js';

const PLANS: PodPlan[] = [
  {
    namespace: 'shop',
    name: 'web-0',
    driver: 'systemd',
    runtime: 'containerd',
    qos: 'burstable',
    containers: [
      { name: 'app', processes: 3, files: 5, listeners: 1, pending: 2, closeWait: 3 },
      { name: 'proxy', processes: 1, files: 1 },
    ],
  },
  { namespace: 'shop', name: 'db-0', driver: 'cgroupfs', runtime: 'cri-o', qos: 'guaranteed', containers: [{ name: 'db', processes: 2, files: 2, listeners: 1, pending: 1, established: 2, closeWait: 5 }] },
  { namespace: 'kube-system', name: 'dns-0', driver: 'systemd', runtime: 'cri-o', qos: 'besteffort', containers: [{ name: 'dns', processes: 1, listeners: 2, closeWait: 1 }] },
  { namespace: 'jobs', name: 'batch-0', driver: 'cgroupfs', runtime: 'containerd', qos: 'besteffort', containers: [{ name: 'work', processes: 1, files: 3 }] },
  { namespace: 'legacy', name: 'old-0', driver: 'systemd', runtime: 'docker', qos: 'guaranteed', containers: [{ name: 'old', processes: 2, files: 1, listeners: 1, closeWait: 1 }] },
];

let node: KubeNode;
beforeAll(async () => {
  node = await buildKubeNode(PLANS);
}, 120_000);
afterAll(() => node?.remove(), 60_000);

const uidName = (pod: BuiltPod, c: BuiltContainer) => `${pod.uid}/${c.id.slice(0, 12)}`;

function options(extra: Partial<NonNullable<CollectOptions['node']>> = {}): CollectOptions {
  return { procRoot: '/proc', cgroupRoot: '/sys/fs/cgroup', topN: 10, longLivedAfterMs: 300_000, node: { maxContainers: 1000, outsidePods: 'group', ...extra } };
}

/** The real source, with each network namespace's socket reads counted (what is asked, not what is answered). */
function counted(kind: SourceKind): { source: KernelSource; reads: Map<number | undefined, number> } {
  const source = openSource(kind, { procRoot: '/proc', cgroupRoot: '/sys/fs/cgroup' });
  const reads = new Map<number | undefined, number>();
  const readSockets = source.readSockets.bind(source);
  source.readSockets = (netns, pids) => {
    const read = readSockets(netns, pids);
    return {
      ...read,
      take: (wanted) => {
        reads.set(netns, (reads.get(netns) ?? 0) + 1);
        return read.take(wanted);
      },
    };
  };
  return { source, reads };
}

const count = (t: TargetSnapshot, protocol: string, state: string) => t.total.sockets.find((s) => s.protocol === protocol && s.state === state)?.count ?? 0;

describe.each(['native', 'text'] as const)('node mode through the %s source', (kind) => {
  it('finds one target per container, attributes each pod its own sockets, and reads each pod namespace once', async () => {
    const { source, reads } = counted(kind);
    const snap = await collectTargets(options(), source);
    const byName = new Map(snap.targets.map((t) => [t.name, t]));
    for (const pod of node.pods) {
      // The sandbox is no target.
      expect(snap.targets.some((t) => t.kube?.containerId.endsWith(pod.pauseId))).toBe(false);
      expect(snap.targets.some((t) => t.processes.some((p) => p.pid === pod.pausePid))).toBe(false);
      expect(reads.get(pod.netns)).toBe(1);
      for (const [i, c] of pod.containers.entries()) {
        const plan = pod.plan.containers[i]!;
        expect([...byName.keys()], `${pod.plan.name}/${c.name}`).toContain(uidName(pod, c));
        const t = byName.get(uidName(pod, c));
        expect(t!.kube).toEqual({ podUid: pod.uid, containerId: containerIdUri(pod, c), qosClass: pod.plan.qos, namespace: '', pod: '', container: '' });
        expect(t!.processes.map((p) => p.pid).sort((a, b) => a - b)).toEqual([...c.pids].sort((a, b) => a - b));
        // Every process holds the files its first one opened before forking.
        const files = t!.total.paths.find((p) => p.path.includes(`${pod.uid}-${c.name}`))?.count ?? 0;
        expect(files).toBe((plan.files ?? 0) * (plan.processes ?? 1));
        // Forks share sockets: each counts once. A read of the wrong namespace would leave them unknown.
        expect(count(t!, 'tcp', 'close_wait')).toBe(plan.closeWait ?? 0);
        expect(count(t!, 'tcp', 'established')).toBe(2 * (plan.established ?? 0) + (plan.pending ?? 0) * (plan.listeners ?? 0));
        expect(count(t!, 'tcp', 'listen')).toBe(plan.listeners ?? 0);
        // The first process alone holds the sockets; its forks hold the files.
        for (const p of t!.processes) if (p.pid !== c.pids[0]) expect(p.sockets.filter((s) => s.protocol === 'tcp')).toEqual([]);
        // Only the stdio socketpairs (unix) are in no table read; a TCP socket read in the wrong namespace would be here too.
        expect(t!.total.sockets.filter((s) => s.protocol === 'other')).toEqual([{ protocol: 'other', state: 'unknown', count: HOLDER_STDIO_SOCKETS }]);
        expect(t!.total.listen.map((l) => ({ port: l.port, queue: l.queue }))).toEqual(c.ports.map((port) => ({ port, queue: plan.pending ?? 0 })).sort((a, b) => a.port - b.port));
      }
    }
    // Namespaces read: the pods' (each once) and the host's, for the processes outside pods.
    for (const [, n] of reads) expect(n).toBe(1);
    expect(snap.netnsRead).toBe(reads.size);
    // Everything else on this machine is outside pods: grouped by top-level cgroup, never as a container.
    const host = snap.targets.filter((t) => t.name.startsWith('host/'));
    expect(host.length).toBeGreaterThan(0);
    expect(host.every((t) => t.kube?.podUid === '')).toBe(true);
    expect(snap.targets.find((t) => t.processes.some((p) => p.pid === process.pid))?.name).toMatch(/^host\//);
  }, 120_000);
});

describe('node mode settings', () => {
  // Other pods may be on this machine meanwhile (the node benchmark builds them too): only this file's are asserted exactly.
  it('excludes processes outside pods when told to: containers remain, no host groups', async () => {
    const snap = await collectTargets(options({ outsidePods: 'exclude' }), openSource('native', { procRoot: '/proc', cgroupRoot: '/sys/fs/cgroup' }));
    const built = node.pods.flatMap((p) => p.containers.map((c) => uidName(p, c)));
    expect(snap.targets.filter((t) => built.includes(t.name)).map((t) => t.name).sort()).toEqual(built.sort());
    expect(snap.targets.filter((t) => t.kube?.podUid === '')).toEqual([]);
  }, 60_000);

  it('keeps the containers with the most resident memory up to maxContainers and sums the rest into other', async () => {
    const snap = await collectTargets(options({ outsidePods: 'exclude', maxContainers: 3 }), openSource('native', { procRoot: '/proc', cgroupRoot: '/sys/fs/cgroup' }));
    expect(snap.targets).toHaveLength(3);
    expect(snap.targets.map((t) => t.name).at(-1)).toBe('other');
    const seen = new Set(snap.targets.flatMap((t) => t.processes.map((p) => p.pid)));
    for (const pid of node.pods.flatMap((p) => p.containers.flatMap((c) => c.pids))) expect(seen.has(pid)).toBe(true);
    const other = snap.targets.at(-1)!;
    expect(other.kube).toEqual({ podUid: '', containerId: '', qosClass: '', namespace: '', pod: '', container: '' });
    expect(other.processes.length).toBeGreaterThan(0);
  }, 60_000);
});

describe('node mode in the collection worker (the text source)', () => {
  it('collects the same containers there: the node settings cross to the worker', async () => {
    const collection = createTargetCollection(parseConfig('mode: node\nnode:\n  outsidePods: exclude\n', { env: {} }), new Registry(), captureLogger(), { source: 'text' });
    try {
      const snap = await collection.collect();
      for (const pod of node.pods) {
        for (const c of pod.containers) expect(snap.targets.find((t) => t.name === uidName(pod, c))?.kube?.podUid).toBe(pod.uid);
      }
    } finally {
      await collection.close();
    }
  }, 60_000);
});

describe('node mode through /metrics', () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = await buildApp(parseConfig('mode: node\nlogLevel: silent\nnode:\n  outsidePods: exclude\n', { env: {} }), { logger: false });
  });
  afterAll(() => app?.close());

  it('labels every target series with namespace, pod and container, and exports sockeye_target_info to join kube-state-metrics', async () => {
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    const pod = node.pods[1]!;
    const c = pod.containers[0]!;
    const target = uidName(pod, c);
    expect(res.body).toContain(`sockeye_target_info{target="${target}",pod_uid="${pod.uid}",container_id="cri-o://${c.id}",qos_class="guaranteed",namespace="",pod="",container=""} 1\n`);
    expect(res.body).toContain(`sockeye_process_sockets{target="${target}",namespace="",pod="",container="",protocol="tcp",state="close_wait"} 5\n`);
    // Every series that names a target carries the three labels.
    const targetLines = res.body.split('\n').filter((l) => l.includes('{target="'));
    expect(targetLines.filter((l) => l.includes(target)).length).toBeGreaterThan(10);
    expect(targetLines.filter((l) => !/namespace="[^"]*",pod="[^"]*",container="[^"]*"/.test(l))).toEqual([]);
    expect(res.body).toMatch(/^sockeye_scrape_series \d+$/m);
  }, 60_000);
});
