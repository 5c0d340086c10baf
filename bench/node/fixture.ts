// The node benchmark's world: pods as a node has them — each pod's processes
// in cgroups named as kubelet names them (cgroupfs driver, containerd; the
// names from test/support/kube-node.ts, whose Python holders would be too
// heavy for 2,000 processes with sockets of their own), each
// pod in its own network namespace with its own loopback traffic (a listener,
// connected pairs, some in CLOSE_WAIT). A pod is one small C program
// (bench/node/pod.c) forking the pod's other processes, so 2,000 processes
// cost little memory and start in seconds. Pods can be added, so one run
// measures 25, 50 and 100 pods. Everything goes with the benchmark's cleanup.
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { cgroupMounts, containerDir, ownCgroups, podDir, type Qos } from '../../test/support/kube-node.js';
import { track, trackCgroup, trackDir, trackPid } from '../cleanup.js';
import { compileC, OUT } from '../floor.js';

const SOURCE = fileURLToPath(new URL('./pod.c', import.meta.url));
const BINARY = join(OUT, 'pod');
// A pod that does not come up must not hang the benchmark.
const READY_TIMEOUT_MS = 60_000;
// Pods started at once: forks and connects are kernel work, the 2 cores are shared.
const PARALLEL = 4;

export interface PodShape {
  /** Processes per pod, dealt round-robin over its containers. */
  processes: number;
  containers: number;
  /** Regular files each process opens. */
  files: number;
  /** Connected pairs on the pod's loopback each process holds both ends of. */
  pairs: number;
  /** Of those, pairs whose client end is closed: the held end is in CLOSE_WAIT. */
  closeWait: number;
}

/** ~20 processes of ~50 fds, ~25 of them sockets, ~500 sockets per namespace: 100 pods are the node. */
export const DEFAULT_SHAPE: PodShape = { processes: 20, containers: 2, files: 24, pairs: 13, closeWait: 2 };

export interface Pod {
  uid: string;
  containerIds: string[];
  pids: number[];
}

export interface NodeFixture {
  pods: Pod[];
  /** Starts `count` more pods. */
  add(count: number, log: (line: string) => void): Promise<void>;
  /** Every pod process. */
  pids(): number[];
  /** One process per pod: its network namespace. */
  namespacePids(): number[];
  /** Writes pids() and namespacePids() to files (for the C floor); returns their paths. */
  pidFiles(): { pids: string; namespaces: string };
}

const QOS: readonly Qos[] = ['burstable', 'besteffort', 'guaranteed'];

/**
 * Below this process's own cgroup in v1's memory hierarchy (or else the v2
 * tree), as kube-node.ts places its cgroupfs pods: they stay inside whatever
 * limits the benchmark runs under, and sockeye's memory stage reads a real
 * memory cgroup per container.
 */
function cgroupBase(): string {
  const mounts = cgroupMounts();
  const own = ownCgroups();
  if (mounts.v1Memory !== undefined) return join(mounts.v1Memory, own.v1Memory ?? '/');
  if (mounts.v2 !== undefined) return join(mounts.v2, own.v2);
  throw new Error('no cgroup v2 mount and no v1 memory controller mounted: cannot build a node');
}

function startPod(binary: string, shape: PodShape, file: string, dirs: string[], ehash: number | undefined): Promise<number[]> {
  // The program forks the pod away and exits: its stdout, which the pod keeps, says when it is up.
  const child = track(spawn(binary, [shape.processes, shape.files, shape.pairs, shape.closeWait, file, ...dirs].map(String), { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...(ehash ? { EHASH: String(ehash) } : {}) } }));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pod: not ready in ${READY_TIMEOUT_MS / 1000} s`)), READY_TIMEOUT_MS);
    const lines = createInterface({ input: child.stdout! });
    lines.once('close', () => reject(new Error('pod: exited before it was ready')));
    lines.once('line', (line) => {
      clearTimeout(timer);
      const { pids } = JSON.parse(line) as { pids: number[] };
      trackPid(pids[0]!);
      resolve(pids);
    });
  });
}

/** `ehash`: give each pod's namespace a TCP hash of its own of that many buckets (see pod.c); default: the host's, shared, as on a node left at its defaults. */
export function createNodeFixture(shape: PodShape = DEFAULT_SHAPE, ehash?: number): NodeFixture {
  const binary = compileC([SOURCE], BINARY);
  const dir = trackDir(mkdtempSync(join(tmpdir(), 'sockeye-node-bench-')));
  const root = trackCgroup(join(cgroupBase(), `sockeye-node-bench-${process.pid}`));
  const pods: Pod[] = [];

  async function addOne(index: number): Promise<Pod> {
    const uid = randomUUID();
    const qos = QOS[index % QOS.length]!;
    const containerIds = Array.from({ length: shape.containers }, () => randomBytes(32).toString('hex'));
    // kubelet's cgroupfs driver with containerd: the layout the node's cgroup v1 memory hierarchy has.
    const pod = podDir(root, 'cgroupfs', qos, uid);
    const dirs = containerIds.map((id) => containerDir(pod, 'cgroupfs', 'containerd', id));
    for (const d of dirs) mkdirSync(d, { recursive: true });
    // Each pod opens its own log file, so paths differ between pods as between real ones.
    const file = join(dir, `pod-${index}.log`);
    writeFileSync(file, `pod ${index}\n`);
    return { uid, containerIds, pids: await startPod(binary, shape, file, dirs, ehash) };
  }

  return {
    pods,
    async add(count, log) {
      const t0 = Date.now();
      const first = pods.length;
      let next = first;
      const worker = async () => {
        while (next < first + count) {
          const i = next++;
          pods[i] = await addOne(i);
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, count) }, worker));
      log(`node fixture: ${count} pods up in ${Date.now() - t0} ms (${pods.length} pods, ${pods.length * shape.processes} processes)`);
    },
    pids: () => pods.flatMap((p) => p.pids),
    namespacePids: () => pods.map((p) => p.pids[0]!),
    pidFiles() {
      const files = { pids: join(dir, 'pids'), namespaces: join(dir, 'namespace-pids') };
      writeFileSync(files.pids, `${pods.flatMap((p) => p.pids).join('\n')}\n`);
      writeFileSync(files.namespaces, `${pods.map((p) => p.pids[0]).join('\n')}\n`);
      return files;
    },
  };
}
