// A node agent in a cgroup namespace of its own (a container on cgroup v2):
// the kernel writes the other pods' cgroup paths relative to its namespace
// root ("/../../pod<uid>/<id>"), which hides the QoS level of a cgroupfs pod
// and leads nowhere under the host's cgroup mount. Sockeye, started in a
// pod's container cgroup with `unshare --cgroup` on a node built for real,
// must still find every container with its QoS class and memory limit.
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectionSnapshot } from '../../src/collectors/index.js';
import { kubeContainerOf } from '../../src/procfs/pid/cgroup-kube.js';
import { parsePidCgroup } from '../../src/procfs/pid/cgroup.js';
import { buildKubeNode, type KubeNode } from '../support/kube-node.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LIMIT = 256 * 2 ** 20;

let node: KubeNode;
let limitSet = false;
beforeAll(async () => {
  node = await buildKubeNode([
    // The agent's own pod: its container's cgroup becomes the namespace root.
    { namespace: 'monitoring', name: 'sockeye-x', driver: 'cgroupfs', runtime: 'containerd', qos: 'besteffort', containers: [{ name: 'sockeye' }] },
    { namespace: 'shop', name: 'db-0', driver: 'cgroupfs', runtime: 'containerd', qos: 'guaranteed', containers: [{ name: 'db', files: 1 }] },
    { namespace: 'shop', name: 'web-0', driver: 'systemd', runtime: 'cri-o', qos: 'burstable', containers: [{ name: 'web' }] },
  ]);
  // A memory limit on the guaranteed container, where its hierarchy has the memory controller (v1's here).
  const db = node.pods[1]!.containers[0]!.cgroupDir;
  const file = ['memory.limit_in_bytes', 'memory.max'].map((f) => join(db, f)).find((f) => existsSync(f));
  if (file) {
    writeFileSync(file, String(LIMIT));
    limitSet = true;
  }
}, 120_000);
afterAll(() => node?.remove(), 60_000);

/** argv run in the agent's container cgroup (every hierarchy the builder used), in a new cgroup namespace rooted there. */
async function inAgentNamespace(argv: string[]): Promise<string> {
  const agent = node.pods[0]!.containers[0]!.cgroupDir;
  const { stdout } = await run('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec unshare --cgroup "$@"', agent, ...argv], { cwd: ROOT, timeout: 120_000, maxBuffer: 256 * 2 ** 20 });
  return stdout;
}

describe('node mode in a cgroup namespace of its own', () => {
  it('sees the other pods through ".." (so the paths alone lose the guaranteed pod)', async () => {
    const dbPid = node.pods[1]!.containers[0]!.pids[0]!;
    const raw = await inAgentNamespace(['cat', `/proc/${dbPid}/cgroup`]);
    const entries = parsePidCgroup(raw);
    expect(entries.some((e) => e.path.startsWith('/../'))).toBe(true);
    expect(kubeContainerOf(entries)).toBeNull();
  }, 60_000);

  it('finds every container with its QoS class and memory limit, as from the host', async () => {
    const out = await inAgentNamespace([process.execPath, '--import', 'tsx', 'test/support/collect-json.ts', 'mode: node\nnode: { outsidePods: exclude }\n']);
    const { snapshot } = JSON.parse(out) as { snapshot: CollectionSnapshot };
    for (const pod of node.pods) {
      const c = pod.containers[0]!;
      const t = snapshot.targets.find((x) => x.name === `${pod.uid}/${c.id.slice(0, 12)}`);
      expect(t?.kube, `${pod.plan.name}`).toMatchObject({ podUid: pod.uid, qosClass: pod.plan.qos });
      const pids = t!.processes.map((p) => p.pid);
      // The agent's container also holds sockeye (and tsx's esbuild): its own container is a target like any other.
      if (pod === node.pods[0]) expect(pids).toEqual(expect.arrayContaining(c.pids));
      else expect(pids.sort()).toEqual([...c.pids].sort());
    }
    const db = snapshot.targets.find((x) => x.kube?.podUid === node.pods[1]!.uid)!;
    if (limitSet) expect(db.total.memoryLimitBytes).toBe(LIMIT);
  }, 180_000);
});
