// Collection runs off the main thread, concurrent scrapes share one
// collection, and the app serves it all on /metrics.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { createTargetCollection } from '../../src/collectors/index.js';
import { captureLogger, fixtureConfig } from '../support/collection.js';
import { killAllHolders, spawnHolder } from '../support/procs.js';

const dir = mkdtempSync(join(tmpdir(), 'sockeye-worker-'));
afterAll(async () => {
  await killAllHolders();
  rmSync(dir, { recursive: true, force: true });
});

describe('collection worker', () => {
  it('keeps the main event loop turning during a large collection; inline mode does not', async () => {
    const h = await spawnHolder({ files: [{ path: join(dir, 'big'), count: 15_000 }] });
    const config = parseConfig(`targets:\n  - name: big\n    match: { pid: ${h.pid} }\n`);
    const turns = async (mode: 'worker' | 'inline') => {
      const collection = createTargetCollection(config, new Registry(), captureLogger(), { mode });
      await collection.collect(); // warm: the worker has started
      let n = 0;
      let spinning = true;
      const spin = () => {
        n++;
        if (spinning) setImmediate(spin);
      };
      setImmediate(spin);
      const snap = await collection.collect();
      spinning = false;
      await collection.close();
      expect(snap.targets[0]!.total.openFds).toBe(15_003);
      return n;
    };
    // The collection takes many milliseconds at 15,000 fds; in the worker the loop turns meanwhile.
    expect(await turns('worker')).toBeGreaterThan(1);
    expect(await turns('inline')).toBeLessThanOrEqual(1);
  });

  it('shares one collection among concurrent callers, and collects afresh afterwards', async () => {
    const config = parseConfig(`targets:\n  - name: self\n    match: { pid: ${process.pid} }\n`);
    const collection = createTargetCollection(config, new Registry(), captureLogger());
    const all = await Promise.all(Array.from({ length: 20 }, () => collection.collect()));
    expect(new Set(all).size).toBe(1);
    const again = await collection.collect();
    expect(again).not.toBe(all[0]);
    expect(collection.last()).toBe(again);
    await collection.close();
  });
});

describe('the app', () => {
  it('serves the target metrics on /metrics from a collection per scrape', async () => {
    const config = fixtureConfig();
    const app = await buildApp(config, { logger: false });
    try {
      const res = await app.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).toBe(200);
      expect(res.body).toMatch(/^sockeye_process_open_fds\{target="web"\} 34$/m);
      expect(res.body).toMatch(/^sockeye_process_sockets\{target="web",protocol="tcp",state="close_wait"\} 3$/m);
      expect(res.body).toMatch(/^sockeye_scrape_collector_success\{collector="sockets"\} 1$/m);
    } finally {
      await app.close();
    }
  });
});
