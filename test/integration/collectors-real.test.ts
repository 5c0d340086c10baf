// The collectors against real processes (test/support/procs.ts) read through
// the real /proc: the metrics must equal what the holder was told to open.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createTargetCollection, type SourceKind, type TargetCollection } from '../../src/collectors/index.js';
import { captureLogger, sampleMap } from '../support/collection.js';
import { poll } from '../support/poll.js';
import { HOLDER_STDIO_SOCKETS, killAllHolders, spawnHolder } from '../support/procs.js';

const dir = mkdtempSync(join(tmpdir(), 'sockeye-real-'));
const collections: TargetCollection[] = [];

afterEach(async () => {
  await Promise.all(collections.splice(0).map((c) => c.close()));
  await killAllHolders();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The default source here is native (the addon is built for the tests); text is what runs without it. */
function collectionFor(targets: string, topN = 10, source?: SourceKind) {
  const config = parseConfig(`topN: ${topN}\ntargets:\n${targets}`);
  const registry = new Registry();
  const log = captureLogger();
  const collection = createTargetCollection(config, registry, log, { source });
  collections.push(collection);
  return { registry, collection, log };
}

describe('collectors on real processes', () => {
  it('counts fds by type and path, sockets by protocol and state, peers, listen queues, exactly', async () => {
    const held = join(dir, 'held.txt');
    const gone = join(dir, 'gone.txt');
    const h = await spawnHolder({
      nofile: [1000, 2000],
      files: [
        { path: held, count: 40 },
        { path: gone, count: 3, deleted: true },
      ],
      pipes: 2,
      eventfds: 3,
      epolls: 1,
      listen: [
        { host: '127.0.0.1', backlog: 16 },
        { host: '::1', backlog: 8 },
      ],
      connections: [
        { listener: 0, count: 2, state: 'established', send: 100 },
        { listener: 0, count: 3, state: 'close_wait' },
        { listener: 0, count: 2, state: 'pending' },
        { listener: 1, count: 1, state: 'established' },
        { listener: 1, count: 2, state: 'close_wait' },
      ],
      udp: [{ host: '127.0.0.1' }, { host: '::1' }],
      unixListen: [join(dir, 'h.sock')],
      unixPairs: 2,
    });
    const { registry, collection } = collectionFor(`  - name: holder\n    match: { cmdline: "sockeye-holder ${h.tag}$" }\n`);
    const snap = await collection.collect();
    const target = (labels: Record<string, string> = {}) => ({ target: 'holder', ...labels });

    expect(snap.targets[0]!.processes.map((p) => p.pid)).toEqual([h.pid]);
    // 4 pipe ends; 40 + 3 file handles; sockets: 2 listeners, 2×2 + 2 + 3 on IPv4,
    // 1×2 + 2 on IPv6, 2 UDP, 1 unix listener, 2×2 socketpair ends, 3 stdio.
    const sockets = 2 + (4 + 2 + 3) + (2 + 2) + 2 + 1 + 4 + HOLDER_STDIO_SOCKETS;
    expect(await sampleMap(registry, 'sockeye_process_fds', target())).toEqual({
      // Types the process holds none of have no series.
      'type=file': 43, 'type=socket': sockets, 'type=pipe': 4, 'type=eventfd': 3, 'type=eventpoll': 1,
    });
    const open = 43 + sockets + 4 + 3 + 1;
    expect(await sampleMap(registry, 'sockeye_process_open_fds')).toEqual({ 'target=holder': open });
    expect(await sampleMap(registry, 'sockeye_process_max_fds')).toEqual({ 'target=holder': 1000 });
    expect(await sampleMap(registry, 'sockeye_process_fd_usage_ratio')).toEqual({ 'target=holder': open / 1000 });
    expect(await sampleMap(registry, 'sockeye_process_fds_by_path', target())).toEqual({ [`path=${held}`]: 40, [`path=${gone} (deleted)`]: 3 });
    expect(await sampleMap(registry, 'sockeye_process_sockets', target())).toEqual({
      'protocol=tcp,state=listen': 1,
      'protocol=tcp,state=established': 2 * 2 + 2,
      'protocol=tcp,state=close_wait': 3,
      'protocol=tcp6,state=listen': 1,
      'protocol=tcp6,state=established': 2,
      'protocol=tcp6,state=close_wait': 2,
      'protocol=udp,state=close': 1,
      'protocol=udp6,state=close': 1,
      'protocol=unix,state=listen': 1,
      'protocol=unix,state=connected': 4 + HOLDER_STDIO_SOCKETS,
    });
    expect(await sampleMap(registry, 'sockeye_process_sockets_by_peer', target())).toEqual({ 'peer=127.0.0.1': 2 * 2 + 2 + 3, 'peer=::1': 2 + 2 });
    const [v4, v6] = h.report.listeners;
    expect(await sampleMap(registry, 'sockeye_process_listen_queue_length', target())).toEqual({ [`port=${v4!.port}`]: 2, [`port=${v6!.port}`]: 0 });
    expect(await sampleMap(registry, 'sockeye_process_listen_queue_max', target())).toEqual({ [`port=${v4!.port}`]: 16, [`port=${v6!.port}`]: 8 });
    expect(await sampleMap(registry, 'sockeye_process_socket_queue_bytes', target())).toEqual({ 'queue=rx': 2 * 100, 'queue=tx': 0 });
    expect(await sampleMap(registry, 'sockeye_target_readable')).toEqual({ 'target=holder': 1 });
    expect(await sampleMap(registry, 'sockeye_process_threads')).toEqual({ 'target=holder': 1 });
    expect((await sampleMap(registry, 'sockeye_process_resident_memory_bytes'))['target=holder']).toBeGreaterThan(1024 * 1024);
    expect(Object.values(await sampleMap(registry, 'sockeye_scrape_collector_success'))).toEqual([1, 1, 1, 1, 1, 1, 1]);

    // More fds later: the next collection reads /proc afresh.
    await h.add({ files: [{ path: held, count: 5 }], eventfds: 1 });
    await collection.collect();
    expect(await sampleMap(registry, 'sockeye_process_open_fds')).toEqual({ 'target=holder': open + 6 });
    expect((await sampleMap(registry, 'sockeye_process_fds_by_path', target()))[`path=${held}`]).toBe(45);
  });

  it('bounds paths to the top N plus an other row, and drops label sets that vanished', async () => {
    const files = ['a', 'b', 'c', 'd'].map((n, i) => ({ path: join(dir, `top-${n}`), count: i + 1 }));
    const h = await spawnHolder({ files });
    const { registry, collection } = collectionFor(`  - name: top\n    match: { cmdline: "sockeye-holder ${h.tag}$" }\n`, 2);
    await collection.collect();
    expect(await sampleMap(registry, 'sockeye_process_fds_by_path', { target: 'top' })).toEqual({ [`path=${files[3]!.path}`]: 4, [`path=${files[2]!.path}`]: 3, 'path=other': 1 + 2 });
    await h.kill();
    await collection.collect();
    expect(await sampleMap(registry, 'sockeye_process_fds_by_path')).toEqual({});
    expect(await sampleMap(registry, 'sockeye_target_processes')).toEqual({ 'target=top': 0 });
  });

  it.each(['native', 'text'] as const)('keeps scraping while processes with thousands of fds exit in the middle of collections (%s source)', async (source) => {
    const h = await spawnHolder({ churn: { children: 4, files: 2000, path: join(dir, 'churn.txt'), lifeMs: [2, 400], durationMs: 20_000 } });
    const { registry, collection, log } = collectionFor(`  - name: churn\n    match: { cmdline: "sockeye-holder ${h.tag}$" }\n`, 10, source);
    const seen = new Set<number>();
    const started = Date.now();
    let collections = 0;
    let vanished = 0;
    // Until a process vanished mid-collection (bounded): how soon depends on the machine's speed.
    while ((vanished === 0 || collections < 5) && Date.now() - started < 20_000) {
      const snap = await collection.collect();
      collections++;
      vanished += snap.vanished;
      expect(snap.collectors.filter((c) => !c.success)).toEqual([]);
      for (const p of snap.targets[0]!.processes) {
        seen.add(p.pid);
        expect(p.problems.filter((x) => x.kind !== 'vanished')).toEqual([]);
        expect(p.openFds).not.toBeNull();
      }
    }
    // Children exited between resolution and reading: the case under test happened.
    expect(vanished).toBeGreaterThan(0);
    expect(seen.has(h.pid)).toBe(true);
    expect(log.lines.filter((l) => l.level === 'error' || l.level === 'warn')).toEqual([]);
    await h.kill();
    // Children forked just before the kill live out their own lifetime (≤ 400 ms).
    const gone = await poll(
      async () => {
        await collection.collect();
        const now = await sampleMap(registry, 'sockeye_target_processes');
        return now['target=churn'] === 0 ? now : undefined;
      },
      { timeoutMs: 10_000, intervalMs: 100, what: 'the churn target to have no process left' },
    );
    expect(gone).toEqual({ 'target=churn': 0 });
  }, 60_000);

});
