// How a node agent should read the TCP sockets of a pod's network namespace:
// the text tables (/proc/PID/net/tcp, tcp6), as sockeye does, or a sock_diag
// dump inside the namespace (setns, CAP_SYS_ADMIN), the only way to the
// listen backlog there. Builds pods of growing socket counts for real
// (test/support/kube-node.ts), times both in C (bench/netns-sockets/netns-sockets.c),
// and sockeye's own text read of the same namespace (read and parsed, in JS).
//   npx tsx bench/netns-sockets.ts [reps]      (root: cgroups, namespaces, setns)
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { openSource } from '../src/collectors/index.js';
import { buildKubeNode } from '../test/support/kube-node.js';
import { compileFloorProgram, OUT } from './floor.js';
import { median } from './stats.js';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
const reps = Number(process.argv[2] ?? 50);
const binary = compileFloorProgram(join(BENCH, 'netns-sockets', 'netns-sockets.c'), join(OUT, 'netns-sockets'));

// Each pod: one listener, `established` accepted connections (two sockets each) and 20 in CLOSE_WAIT.
const sizes = [25, 250, 2500];
const node = await buildKubeNode(
  sizes.map((established, i) => ({
    namespace: 'bench',
    name: `pod-${i}`,
    driver: 'systemd' as const,
    runtime: 'containerd' as const,
    qos: 'besteffort' as const,
    containers: [{ name: 'app', listeners: 1, established, closeWait: 20, nofile: 2 * established + 1000 }],
  })),
);
try {
  const text = openSource('text', { procRoot: '/proc', cgroupRoot: '/sys/fs/cgroup' });
  const rows: string[] = ['| sockets in the namespace | table bytes | text, C (ms) | sock_diag in the namespace, C (ms) | sockeye text read + parse, JS (ms) |', '| ---: | ---: | ---: | ---: | ---: |'];
  for (const pod of node.pods) {
    const pid = pod.containers[0]!.pids[0]!;
    const c = JSON.parse(execFileSync(binary, [String(pid), String(reps)], { encoding: 'utf8', maxBuffer: 64 << 20 })) as { bytes: number; records: number; diagErrno: number; textNs: number[]; diagNs: number[] };
    if (c.diagErrno !== 0) throw new Error(`setns into pod ${pod.plan.name}'s namespace failed: errno ${c.diagErrno} (run as root)`);
    const summary = (await text.fdSummaries([pid])).get(pid);
    if (summary instanceof Error || !summary) throw summary ?? new Error('no fd summary');
    const wanted = Array.from(summary.socketInodes);
    const js: number[] = [];
    for (let r = -3; r < reps; r++) {
      const t0 = performance.now();
      await text.readSockets(pod.netns, [pid]).take(wanted);
      if (r >= 0) js.push(performance.now() - t0);
    }
    rows.push(`| ${c.records} | ${c.bytes} | ${(median(c.textNs) / 1e6).toFixed(3)} | ${(median(c.diagNs) / 1e6).toFixed(3)} | ${median(js).toFixed(3)} |`);
  }
  process.stdout.write(`${rows.join('\n')}\n\nmedians of ${reps} reads each; one pod per row, its own network namespace\n`);
} finally {
  await node.remove();
}
