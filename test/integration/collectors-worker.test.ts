// Collection runs off the main thread, concurrent scrapes share one
// collection, and the app serves it all on /metrics.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { createTargetCollection, type SourceKind } from '../../src/collectors/index.js';
import { captureLogger, fixtureConfig, sampleMap } from '../support/collection.js';
import { killAllHolders, spawnHolder } from '../support/procs.js';

const dir = mkdtempSync(join(tmpdir(), 'sockeye-worker-'));
afterAll(async () => {
  await killAllHolders();
  rmSync(dir, { recursive: true, force: true });
});

describe('collection worker', () => {
  it('keeps the main event loop turning during a large collection, with either source', async () => {
    const h = await spawnHolder({ files: [{ path: join(dir, 'big'), count: 15_000 }] });
    const config = parseConfig(`targets:\n  - name: big\n    match: { pid: ${h.pid} }\n`);
    const turns = async (source: SourceKind) => {
      const collection = createTargetCollection(config, new Registry(), captureLogger(), { source });
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
    // The collection takes many milliseconds at 15,000 fds; the text source's worker lets the loop turn
    // meanwhile, and so does the native source: the walk runs on libuv's pool, the thread turns between stages.
    expect(await turns('text')).toBeGreaterThan(1);
    expect(await turns('native')).toBeGreaterThan(1);
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

describe('a collection stuck in a /proc read', () => {
  const statText = '123 (stuck) S 1 123 123 0 -1 4194560 0 0 0 0 5 5 0 0 20 0 1 0 1000 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n';

  /**
   * A proc root whose /proc/123/stat becomes a FIFO we hold open without
   * writing: a real read that hangs. Resolves once the worker is in that read.
   */
  async function stuckCollection(timeoutMs: number) {
    const procRoot = mkdtempSync(join(tmpdir(), 'sockeye-stuck-'));
    mkdirSync(join(procRoot, '123'));
    const stat = join(procRoot, '123', 'stat');
    writeFileSync(stat, statText);
    const config = parseConfig(`procRoot: ${procRoot}\ntargets:\n  - name: stuck\n    match: { pid: 123 }\n`);
    const registry = new Registry();
    const log = captureLogger();
    const collection = createTargetCollection(config, registry, log, { timeoutMs });
    // Warm: the worker is up, so the timeout measures only the stuck read.
    expect((await collection.collect()).collectors.every((c) => c.success)).toBe(true);
    rmSync(stat);
    execFileSync('mkfifo', [stat]);
    const writer = openSync(stat, constants.O_RDWR);
    const pending = collection.collect();
    // The worker thread shares our fd table: a second fd on the FIFO appears once its read is under way.
    const onFifo = (fd: string) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === stat;
      } catch {
        return false;
      }
    };
    const reading = () => readdirSync('/proc/self/fd').filter(onFifo).length >= 2;
    for (let i = 0; i < 200 && !reading(); i++) await new Promise((r) => setTimeout(r, 50));
    expect(reading()).toBe(true);
    const release = () => {
      closeSync(writer);
      rmSync(stat);
      writeFileSync(stat, statText);
    };
    return { procRoot, registry, log, collection, pending, release };
  }

  it('times out: scrapes get an answer with every collector failed, and the next collection uses a fresh worker', async () => {
    const { procRoot, registry, log, collection, pending, release } = await stuckCollection(3000);
    try {
      const snap = await pending;
      expect(snap.collectors.map((c) => c.success)).toEqual(snap.collectors.map(() => false));
      expect(snap.targets.map((t) => t.name)).toEqual(['stuck']);
      expect(Object.values(await sampleMap(registry, 'sockeye_scrape_collector_success'))).toEqual(snap.collectors.map(() => 0));
      // The target series of the last good collection stay.
      expect(await sampleMap(registry, 'sockeye_target_processes')).toEqual({ 'target=stuck': 1 });
      expect(log.lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual([expect.stringContaining('collection did not finish within 3000 ms')]);

      release();
      const next = await collection.collect();
      expect(next.collectors.every((c) => c.success)).toBe(true);
      expect(next.targets[0]!.processes.map((p) => p.pid)).toEqual([123]);
      await collection.close();
    } finally {
      rmSync(procRoot, { recursive: true, force: true });
    }
  });

  it('close() does not wait for it: the pending scrape is answered and close returns', async () => {
    const { procRoot, collection, pending, release } = await stuckCollection(60_000);
    try {
      await collection.close();
      const snap = await pending;
      expect(snap.collectors.every((c) => !c.success)).toBe(true);
    } finally {
      release();
      rmSync(procRoot, { recursive: true, force: true });
    }
  });
});

describe('a command line whose read hangs', () => {
  const statOf = (pid: number) => `${pid} (app) S 1 ${pid} ${pid} 0 -1 4194560 0 0 0 0 5 5 0 0 20 0 1 0 1000 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`;

  /** /proc/PID of a fixture tree: stat and a real status; cmdline a FIFO held open without writing (a read that hangs), or text. */
  function fakeProcess(procRoot: string, pid: number, cmdline?: string) {
    mkdirSync(join(procRoot, String(pid)));
    writeFileSync(join(procRoot, String(pid), 'stat'), statOf(pid));
    // A real status: the process collector reads it before the command line.
    writeFileSync(join(procRoot, String(pid), 'status'), readFileSync('/proc/self/status'));
    const path = join(procRoot, String(pid), 'cmdline');
    if (cmdline !== undefined) {
      writeFileSync(path, cmdline);
      return { path, readers: () => 0, release: () => {} };
    }
    execFileSync('mkfifo', [path]);
    let writer: number | undefined = openSync(path, constants.O_RDWR);
    return {
      path,
      /** Open fds of this process on the FIFO: our writer, and the reads of it still pending. */
      readers: () =>
        readdirSync('/proc/self/fd').filter((fd) => {
          try {
            return readlinkSync(`/proc/self/fd/${fd}`) === path;
          } catch {
            return false;
          }
        }).length,
      /** The process lets go: the pending read returns, and the command line is a file from now on. */
      release: async () => {
        if (writer === undefined) return;
        writeSync(writer, 'app\0--serve\0');
        closeSync(writer);
        writer = undefined;
        await new Promise((r) => setTimeout(r, 100));
        rmSync(path);
        writeFileSync(path, 'app\0--serve\0');
      },
    };
  }

  const procRoots: string[] = [];
  const releases: Array<() => Promise<void> | void> = [];
  afterAll(async () => {
    for (const r of releases) await r();
    for (const d of procRoots) rmSync(d, { recursive: true, force: true });
  });
  function tree(): string {
    const d = mkdtempSync(join(tmpdir(), 'sockeye-cmdline-'));
    procRoots.push(d);
    return d;
  }
  const targetsOf = (procRoot: string, pids: number[]) => parseConfig(`procRoot: ${procRoot}\ntargets:\n${pids.map((pid) => `  - name: p${pid}\n    match: { pid: ${pid} }\n`).join('')}`);

  // /proc/PID/cmdline blocks while the process holds its memory-map lock; here a FIFO held open without writing.
  it('answers without it, keeps the event loop turning, and never has more than one read of it pending', async () => {
    const procRoot = tree();
    const stuck = fakeProcess(procRoot, 123);
    releases.push(stuck.release);
    const collection = createTargetCollection(targetsOf(procRoot, [123]), new Registry(), captureLogger(), { source: 'native' });
    try {
      for (let round = 0; round < 2; round++) {
        let turns = 0;
        const timer = setInterval(() => turns++, 10);
        const snap = await collection.collect();
        clearInterval(timer);
        const p = snap.targets[0]!.processes[0]!;
        expect(p.pid).toBe(123);
        expect(p.cmdline).toBe('');
        expect(p.problems).toContainEqual(expect.objectContaining({ collector: 'process', kind: 'error', path: '123/cmdline', message: expect.stringContaining('not read within 2000 ms') }));
        expect(snap.collectors.filter((c) => !c.success).map((c) => c.name)).toEqual(['process']);
        // The first collection waited ~2 s for the read on libuv's pool, the loop turning meanwhile (a 10 ms
        // timer kept firing); the second knows the read is still pending and does not wait for it again.
        if (round === 0) expect(turns).toBeGreaterThan(20);
        // Our writer and one reader: the second collection did not start another read.
        expect(stuck.readers()).toBe(2);
      }
      await stuck.release();
      const snap = await collection.collect();
      expect(snap.targets[0]!.processes[0]!.cmdline).toBe('app --serve');
      expect(snap.collectors.every((c) => c.success)).toBe(true);
    } finally {
      await collection.close();
    }
  }, 30_000);

  it('with two reads stuck, starts no more: the pool keeps threads for everything else', async () => {
    const procRoot = tree();
    const a = fakeProcess(procRoot, 123);
    const b = fakeProcess(procRoot, 124);
    releases.push(a.release, b.release);
    fakeProcess(procRoot, 125, 'worker\0');
    const collection = createTargetCollection(targetsOf(procRoot, [123, 124, 125]), new Registry(), captureLogger(), { source: 'native' });
    const problem = (snap: Awaited<ReturnType<typeof collection.collect>>, pid: number) => snap.targets.find((t) => t.name === `p${pid}`)!.processes[0]!.problems.find((x) => x.path === `${pid}/cmdline`)?.message;
    try {
      for (let round = 0; round < 2; round++) {
        const snap = await collection.collect();
        expect(problem(snap, 123)).toMatch(/not read within 2000 ms/);
        expect(problem(snap, 124)).toMatch(/not read within 2000 ms/);
        // Both slots held by the stuck reads: 125's was never started.
        expect(problem(snap, 125)).toMatch(/125\/cmdline not read: 2 reads of other processes' command lines are still pending/);
        expect([a.readers(), b.readers()]).toEqual([2, 2]);
      }
      await a.release();
      await b.release();
      const snap = await collection.collect();
      expect(snap.targets.map((t) => t.processes[0]!.cmdline)).toEqual(['app --serve', 'app --serve', 'worker']);
      expect(snap.collectors.every((c) => c.success)).toBe(true);
    } finally {
      await collection.close();
    }
  }, 30_000);
});
