// Which capabilities a non-root node agent needs to read another user's
// container: sockeye collects in node mode as uid 65534 (setpriv) with each
// set of capabilities, over a pod built for real (test/support/kube-node.ts)
// whose processes are root's, in their own network namespace. The minimum
// found here is what docs/deploy.md and the DaemonSet grant.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CollectionSnapshot } from '../../src/collectors/index.js';
import { buildKubeNode, type KubeNode } from '../support/kube-node.js';
import { HOLDER_STDIO_SOCKETS } from '../support/procs.js';
import { worldReadableCopy } from '../support/world-readable.js';

const run = promisify(execFile);

let node: KubeNode;
beforeAll(async () => {
  node = await buildKubeNode([{ namespace: 'a', name: 'p', driver: 'systemd', runtime: 'containerd', qos: 'burstable', containers: [{ name: 'c', files: 2, listeners: 1, pending: 1, closeWait: 2 }] }]);
}, 120_000);
afterAll(() => node?.remove(), 60_000);

/** One node-mode collection as uid 65534 holding exactly `caps` (ambient, so they survive the exec of node). */
async function collectWith(caps: string[], source: string): Promise<CollectionSnapshot> {
  const cwd = await worldReadableCopy();
  const set = caps.map((c) => `+${c}`).join(',');
  const drop = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...(caps.length > 0 ? [`--inh-caps=${set}`, `--ambient-caps=${set}`] : []), `--bounding-set=-all${caps.length > 0 ? `,${set}` : ''}`];
  const argv = [...drop, process.execPath, '--import', 'tsx', join(cwd, 'test/support/collect-json.ts'), 'mode: node\nnode: { outsidePods: exclude }\n'];
  const { stdout } = await run(argv[0]!, argv.slice(1), { cwd, timeout: 120_000, maxBuffer: 256 * 2 ** 20, env: { ...process.env, HOME: '/tmp', SOCKEYE_COLLECT_SOURCE: source } });
  return (JSON.parse(stdout) as { snapshot: CollectionSnapshot }).snapshot;
}

describe.each(['native', 'text'])('node mode as uid 65534 (%s source)', (source) => {
  const ours = (snap: CollectionSnapshot) => snap.targets.find((t) => t.kube?.podUid === node.pods[0]!.uid);

  it('reads fds, sockets and the accept queue of another user in another network namespace with CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, nothing more', async () => {
    const snap = await collectWith(['sys_ptrace', 'dac_read_search'], source);
    expect(snap.reader).toEqual({ uid: 65534, capSysPtrace: true, capDacReadSearch: true });
    const t = ours(snap)!;
    expect(t.readable).toBe(true);
    expect(t.total.sockets.find((s) => s.state === 'close_wait')?.count).toBe(2);
    expect(t.total.listen.map((l) => l.queue)).toEqual([1]);
    expect(t.total.sockets.find((s) => s.protocol === 'other')?.count).toBe(HOLDER_STDIO_SOCKETS);
  }, 180_000);

  it.each([[[] as string[]], [['sys_ptrace']], [['dac_read_search']]])('with only %j the fds are denied and the target unreadable (the cgroup still places it)', async (caps) => {
    const snap = await collectWith(caps, source);
    // /proc/PID/cgroup is world-readable: discovery needs no capability.
    expect(snap.targets.map((x) => x.kube?.podUid)).toContain(node.pods[0]!.uid);
    const t = ours(snap)!;
    expect(t.readable).toBe(false);
    expect(t.processes[0]!.problems).toContainEqual(expect.objectContaining({ collector: 'fd', kind: 'denied' }));
    expect(t.total.sockets).toEqual([]);
  }, 180_000);
});
