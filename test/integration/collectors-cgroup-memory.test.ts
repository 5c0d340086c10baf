// Working set and OOM kills from a real memory cgroup (v1 memory controller or
// v2, whichever this process's cgroup uses; createMemoryCgroup detects it):
// a real child in it allocating real memory, and a child OOM-killed in a tiny one.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createTargetCollection, type TargetCollection } from '../../src/collectors/index.js';
import { captureLogger, sampleMap } from '../support/collection.js';
import { createMemoryCgroup, type MemoryCgroup } from '../support/lab.js';

const MiB = 2 ** 20;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

// Allocates and touches `hold` MiB, reports, then (with `oom`) forks a child
// that allocates until the kernel kills it, reports how it died, and waits.
const SCRIPT = String.raw`
import os, sys, json
hold = bytearray(int(sys.argv[1]) * 1048576)
for i in range(0, len(hold), 4096): hold[i] = 1
print(json.dumps({"ready": True}), flush=True)
if sys.argv[2] == "oom":
    pid = os.fork()
    if pid == 0:
        chunks = []
        while True:
            c = bytearray(4 * 1048576)
            for i in range(0, len(c), 4096): c[i] = 1
            chunks.append(c)
    _, status = os.waitpid(pid, 0)
    print(json.dumps({"killedBy": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None}), flush=True)
sys.stdin.read()
`;

/** python3 in `cg` from before its first allocation (it joins the cgroup, then execs). */
async function spawnIn(cg: MemoryCgroup, tag: string, holdMiB: number, mode: 'hold' | 'oom'): Promise<{ child: ChildProcess; next: () => Promise<Record<string, unknown>> }> {
  const child = spawn('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec python3 -c "$1" "$2" "$3" "$4"', cg.dir, SCRIPT, String(holdMiB), mode, `sockeye-cgroup-test ${tag}`], { stdio: ['pipe', 'pipe', 'inherit'] });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await once(child, 'exit');
    }
    await cg.remove();
  });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(((await lines.next()).value as string | undefined) ?? 'null') as Record<string, unknown>;
  expect(await next()).toEqual({ ready: true });
  return { child, next };
}

function collectionFor(tag: string): { registry: Registry; collection: TargetCollection } {
  const config = parseConfig(`targets:\n  - name: app\n    match: { cmdline: "sockeye-cgroup-test ${tag}$" }\n`);
  const registry = new Registry();
  const collection = createTargetCollection(config, registry, captureLogger());
  cleanups.push(() => collection.close());
  return { registry, collection };
}

const v1 = readFileSync('/proc/self/cgroup', 'utf8').split('\n').some((l) => l.split(':')[1]?.split(',').includes('memory'));

describe(`memory cgroup figures on a real cgroup (${v1 ? 'v1 memory controller' : 'v2'})`, () => {
  it('exports the working set of the cgroup a process runs in: its touched memory counts, without limit pressure', async () => {
    const tag = `ws-${process.pid}`;
    const cg = createMemoryCgroup(`sockeye-ws-${process.pid}`, 512 * MiB);
    await spawnIn(cg, tag, 64, 'hold');
    const { registry, collection } = collectionFor(tag);
    const snap = await collection.collect();
    expect(snap.targets[0]!.processes).toHaveLength(1);
    const ws = (await sampleMap(registry, 'sockeye_process_working_set_bytes'))['target=app']!;
    // 64 MiB of touched anonymous memory, plus Python itself; never above what the cgroup was charged.
    const usage = Number(readFileSync(`${cg.dir}/${v1 ? 'memory.usage_in_bytes' : 'memory.current'}`, 'utf8'));
    expect(ws).toBeGreaterThanOrEqual(64 * MiB);
    expect(ws).toBeLessThanOrEqual(Math.max(usage, ws) + 8 * MiB);
    expect(ws).toBeLessThan(512 * MiB);
    expect(await sampleMap(registry, 'sockeye_process_memory_limit_bytes')).toEqual({ 'target=app': 512 * MiB });
    expect(await sampleMap(registry, 'sockeye_process_oom_kills_total')).toEqual({ 'target=app': 0 });
    expect(await sampleMap(registry, 'sockeye_scrape_collector_success', { collector: 'memory' })).toEqual({ '': 1 });
  });

  it('mirrors the kernel OOM-kill counter: a child allocating past a tiny limit is killed, the count is 1', async () => {
    const tag = `oom-${process.pid}`;
    const cg = createMemoryCgroup(`sockeye-oom-${process.pid}`, 48 * MiB);
    const { registry, collection } = collectionFor(tag);
    const { next } = await spawnIn(cg, tag, 4, 'oom');
    expect(await next()).toEqual({ killedBy: 9 });
    await collection.collect();
    expect(await sampleMap(registry, 'sockeye_process_oom_kills_total')).toEqual({ 'target=app': 1 });
    expect((await sampleMap(registry, 'sockeye_process_working_set_bytes'))['target=app']).toBeLessThanOrEqual(48 * MiB);
  });
});
