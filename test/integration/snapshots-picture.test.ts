// The full picture of a target (src/snapshots/picture.ts) from real
// processes through the real /proc, by both kernel sources: uncapped where
// the metrics are capped, sockets grouped with their peers and ages.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createTargetCollection, type SourceKind, type TargetCollection } from '../../src/collectors/index.js';
import { captureLogger } from '../support/collection.js';
import { HOLDER_STDIO_SOCKETS, killAllHolders, spawnHolder } from '../support/procs.js';

const dir = mkdtempSync(join(tmpdir(), 'sockeye-picture-'));
const collections: TargetCollection[] = [];
afterEach(async () => {
  await Promise.all(collections.splice(0).map((c) => c.close()));
  await killAllHolders();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function collectionFor(tag: string, source: SourceKind, snapshots = true): TargetCollection {
  const config = parseConfig(`topN: 1\nsnapshots: { enabled: ${snapshots} }\ntargets:\n  - name: holder\n    match: { cmdline: "sockeye-holder ${tag}$" }\n`);
  const c = createTargetCollection(config, new Registry(), captureLogger(), { source });
  collections.push(c);
  return c;
}

describe.each(['native', 'text'] as const)('the picture of a target (%s source)', (source) => {
  it('holds every path and every socket, uncapped, grouped by state and peer, with ages once tracked', async () => {
    const a = join(dir, `${source}-a.log`);
    const b = join(dir, `${source}-b.log`);
    const h = await spawnHolder({
      nofile: [1000, 2000],
      files: [
        { path: a, count: 40 },
        { path: b, count: 3 },
      ],
      listen: [{ host: '127.0.0.1', backlog: 16 }, { host: '::1' }],
      connections: [
        { listener: 0, count: 3, state: 'close_wait' },
        { listener: 0, count: 2, state: 'established', send: 10 },
        { listener: 1, count: 2, state: 'close_wait' },
      ],
    });
    const collection = collectionFor(h.tag, source);
    const first = await collection.collect();
    // topN 1: the metrics' rows are capped ...
    expect(first.targets[0]!.total.paths.map((p) => p.path)).toEqual([a, 'other']);
    // ... the picture's are not.
    const picture = first.pictures!.find((p) => p.name === 'holder')!;
    expect(picture.total.paths).toEqual([
      { path: a, count: 40 },
      { path: b, count: 3 },
    ]);
    expect(picture.processes.map((p) => p.pid)).toEqual([h.pid]);
    expect(picture.processes[0]!.paths).toEqual(picture.total.paths);
    const groups = picture.total.sockets.map(({ oldestSeconds: _, ...g }) => g);
    const port4 = h.report.listeners[0]!.port;
    const port6 = h.report.listeners[1]!.port;
    expect(groups).toEqual(
      expect.arrayContaining([
        { protocol: 'tcp', state: 'close_wait', peer: '127.0.0.1', localPort: null, count: 3, rx: 0, tx: 0 },
        { protocol: 'tcp6', state: 'close_wait', peer: '::1', localPort: null, count: 2, rx: 0, tx: 0 },
        // Both ends of the two established connections: one end holds the 10 unread bytes each.
        { protocol: 'tcp', state: 'established', peer: '127.0.0.1', localPort: null, count: 4, rx: 20, tx: 0 },
        { protocol: 'tcp', state: 'listen', peer: null, localPort: port4, count: 1, rx: 0, tx: 0 },
        { protocol: 'tcp6', state: 'listen', peer: null, localPort: port6, count: 1, rx: 0, tx: 0 },
        { protocol: 'unix', state: 'connected', peer: null, localPort: null, count: HOLDER_STDIO_SOCKETS, rx: 0, tx: 0 },
      ]),
    );
    expect(groups).toHaveLength(6);
    expect(picture.total.sockets.reduce((n, g) => n + g.count, 0)).toBe(picture.total.fds!.socket);
    // Largest group first.
    expect(picture.total.sockets[0]!.count).toBe(4);
    expect(picture.total.peers).toEqual([
      { peer: '127.0.0.1', count: 7, states: { close_wait: 3, established: 4 } },
      { peer: '::1', count: 2, states: { close_wait: 2 } },
    ]);
    expect(picture.total.listen).toEqual([
      { port: Math.min(port4, port6), queue: 0, backlog: expect.toSatisfy((v) => v === null || typeof v === 'number') },
      { port: Math.max(port4, port6), queue: 0, backlog: expect.toSatisfy((v) => v === null || typeof v === 'number') },
    ]);
    expect(picture.processes[0]!.cmdline).toContain(`sockeye-holder ${h.tag}`);
    // TCP sockets that are not listening are tracked from their first sight; listeners and unix sockets never.
    for (const g of picture.total.sockets) {
      if (g.protocol.startsWith('tcp') && g.state !== 'listen') expect(g.oldestSeconds).toBe(0);
      else expect(g.oldestSeconds).toBeNull();
    }

    const frozen = structuredClone(picture);
    await h.add({ files: [{ path: a, count: 5 }], connections: [{ listener: 0, count: 2, state: 'close_wait' }] });
    const second = await collection.collect();
    const later = second.pictures!.find((p) => p.name === 'holder')!;
    expect(later.total.paths[0]).toEqual({ path: a, count: 45 });
    const closeWait = later.total.sockets.find((g) => g.protocol === 'tcp' && g.state === 'close_wait')!;
    expect(closeWait.count).toBe(5);
    // The oldest of the group is the one seen in the first collection.
    expect(closeWait.oldestSeconds).toBeCloseTo((second.time - first.time) / 1000, 3);
    // The first picture is its own data: the source's reused maps did not change it.
    expect(picture).toEqual(frozen);
  });

  it('is not built when snapshots are off', async () => {
    const h = await spawnHolder({});
    const snap = await collectionFor(h.tag, source, false).collect();
    expect(snap.targets[0]!.processes).toHaveLength(1);
    expect(snap.pictures).toBeUndefined();
  });
});
