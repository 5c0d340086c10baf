// Socket ages on real sockets: a holder keeps CLOSE_WAIT sockets (its peer
// closed, it never does) and established ones, read through the real /proc
// and sock_diag across collections.
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createTargetCollection, type CollectionSnapshot, type SourceKind, type TargetCollection } from '../../src/collectors/index.js';
import { captureLogger, sampleMap } from '../support/collection.js';
import { killAllHolders, spawnHolder } from '../support/procs.js';

const collections: TargetCollection[] = [];
afterEach(async () => {
  await Promise.all(collections.splice(0).map((c) => c.close()));
  await killAllHolders();
});

function collectionFor(tag: string, longLivedAfter: string, source?: SourceKind) {
  const config = parseConfig(`leaks: { longLivedAfter: ${longLivedAfter} }\ntargets:\n  - name: app\n    match: { cmdline: "sockeye-holder ${tag}$" }\n`);
  const registry = new Registry();
  const collection = createTargetCollection(config, registry, captureLogger(), { source });
  collections.push(collection);
  return { registry, collection };
}

/** Collects until at least `ms` have passed since `since` (by the collections' own clock). */
async function collectAfter(collection: TargetCollection, since: CollectionSnapshot, ms: number): Promise<CollectionSnapshot> {
  for (;;) {
    await new Promise((r) => setTimeout(r, Math.max(50, ms - (Date.now() - since.time))));
    const snap = await collection.collect();
    if (snap.time - since.time >= ms) return snap;
  }
}

describe.each(['native', 'text'] as const)('socket ages on real sockets (%s source)', (source) => {
  it('ages CLOSE_WAIT sockets across collections, counts long-lived ones, and starts a socket that changes state afresh', async () => {
    // A server the holder connects to: closing our ends later moves the holder's from ESTABLISHED to CLOSE_WAIT.
    const peers: Socket[] = [];
    const server = createServer((s) => peers.push(s));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    try {
      const h = await spawnHolder({ listen: [{ host: '127.0.0.1' }], connections: [{ listener: 0, count: 3, state: 'close_wait' }], connectTo: [{ host: '127.0.0.1', port, count: 2 }] });
      const { registry, collection } = collectionFor(h.tag, '1s', source);
      const first = await collection.collect();
      expect(await sampleMap(registry, 'sockeye_process_socket_oldest_age_seconds', { target: 'app' })).toEqual({ 'state=close_wait': 0, 'state=established': 0 });
      expect(await sampleMap(registry, 'sockeye_process_long_lived_sockets', { target: 'app' })).toEqual({ 'state=close_wait': 0, 'state=established': 0 });
      expect(await sampleMap(registry, 'sockeye_process_long_lived_socket_threshold_seconds')).toEqual({ '': 1 });

      // Two more CLOSE_WAIT sockets, born after the first collection.
      await h.add({ connections: [{ listener: 0, count: 2, state: 'close_wait' }] });
      const second = await collectAfter(collection, first, 1000);
      const age = (second.time - first.time) / 1000;
      expect(await sampleMap(registry, 'sockeye_process_socket_oldest_age_seconds', { target: 'app' })).toEqual({ 'state=close_wait': age, 'state=established': age });
      expect(await sampleMap(registry, 'sockeye_process_long_lived_sockets', { target: 'app' })).toEqual({ 'state=close_wait': 3, 'state=established': 2 });
      expect(second.targets[0]!.socketAges).toEqual([
        { state: 'close_wait', oldestSeconds: age, longLived: 3 },
        { state: 'established', oldestSeconds: age, longLived: 2 },
      ]);

      // Our side closes: the holder's two established sockets enter CLOSE_WAIT now, their clock restarts.
      for (const s of peers) s.destroy();
      const closeWait = (snap: CollectionSnapshot) => snap.targets[0]!.total.sockets.filter((s) => s.state === 'close_wait').reduce((n, s) => n + s.count, 0);
      let third = await collection.collect();
      for (let i = 0; i < 100 && closeWait(third) < 7; i++) {
        await new Promise((r) => setTimeout(r, 20));
        third = await collection.collect();
      }
      expect(closeWait(third)).toBe(7);
      expect(await sampleMap(registry, 'sockeye_process_socket_oldest_age_seconds', { target: 'app' })).toEqual({ 'state=close_wait': (third.time - first.time) / 1000 });
      // The first three are long-lived; the two of the second collection only if a second has passed since (a slow machine).
      const laterOnes = third.time - second.time >= 1000 ? 2 : 0;
      expect(await sampleMap(registry, 'sockeye_process_long_lived_sockets', { target: 'app' })).toEqual({ 'state=close_wait': 3 + laterOnes });

      // The holder gone: no age series, nothing remembered for it.
      await h.kill();
      await collection.collect();
      expect(await sampleMap(registry, 'sockeye_process_socket_oldest_age_seconds')).toEqual({});
      expect(await sampleMap(registry, 'sockeye_process_long_lived_sockets')).toEqual({});
    } finally {
      server.close();
    }
  });
});
