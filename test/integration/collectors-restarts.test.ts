// The restart rule on real process trees (test/support/forks.py): workers
// killed and respawned, a whole app restarted, and the busy healthy shapes
// that must count no restart (sessions ending, a prefork server, short-lived
// commands), read through the real /proc.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createTargetCollection, type CollectionSnapshot, type TargetCollection } from '../../src/collectors/index.js';
import { captureLogger, sampleMap } from '../support/collection.js';

const FORKS = fileURLToPath(new URL('../support/forks.py', import.meta.url));
/** restarts.minLifetime in these tests: the long-lived processes are made older than it, the short-lived ones live milliseconds. */
const MIN_LIFETIME_MS = 4000;
const dir = mkdtempSync(join(tmpdir(), 'sockeye-restarts-'));
const children = new Set<ChildProcess>();
/** Processes started away from this process's tree, by pid. */
const orphans: number[] = [];
const collections: TargetCollection[] = [];
let tags = 0;

afterEach(async () => {
  await Promise.all(collections.splice(0).map((c) => c.close()));
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  await Promise.all([...children].map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
  children.clear();
  for (const pid of orphans.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Forks {
  child: ChildProcess;
  pid: number;
  next(): Promise<{ workers?: number[]; port?: number }>;
}

async function spawnForks(tag: string, ...args: string[]): Promise<Forks> {
  const child = spawn('python3', ['-I', FORKS, ...args, 'sockeye-forks', tag], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.add(child);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(((await lines.next()).value as string | undefined) ?? 'null') as { workers?: number[]; port?: number };
  return { child, pid: child.pid!, next };
}

function collectionFor(tag: string) {
  const config = parseConfig(`restarts: { minLifetime: ${MIN_LIFETIME_MS}ms, replacedWithin: 1m }\ntargets:\n  - name: app\n    match: { cmdline: "sockeye-forks ${tag}$" }\n`);
  const registry = new Registry();
  const collection = createTargetCollection(config, registry, captureLogger());
  collections.push(collection);
  const counts = async () => ({
    restarts: (await sampleMap(registry, 'sockeye_process_restarts_total'))['target=app'],
    starts: (await sampleMap(registry, 'sockeye_process_starts_total'))['target=app'],
    exits: (await sampleMap(registry, 'sockeye_process_exits_total'))['target=app'],
  });
  return { registry, collection, counts };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const processes = (snap: CollectionSnapshot) => snap.targets[0]!.processes.map((p) => p.pid).sort((a, b) => a - b);

/**
 * Collects until every process of the target has lived longer than the
 * minimum lifetime, by the start times the collection itself reads (those the
 * rule judges by), whatever the machine's load.
 */
async function collectUntilOld(collection: TargetCollection): Promise<CollectionSnapshot> {
  const old = (s: CollectionSnapshot) => s.targets[0]!.processes.every((p) => p.startTimeSeconds !== null && s.time / 1000 - p.startTimeSeconds >= MIN_LIFETIME_MS / 1000 + 0.5);
  return collectUntil(collection, old, 'the processes to be older than the minimum lifetime', 30_000);
}

async function collectUntil(collection: TargetCollection, done: (snap: CollectionSnapshot) => boolean, what: string, timeoutMs = 20_000): Promise<CollectionSnapshot> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const snap = await collection.collect();
    if (done(snap)) return snap;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; processes ${processes(snap).join(' ')}`);
    await sleep(50);
  }
}

describe('restarts on real processes', () => {
  it('counts a worker killed and respawned by its master (nginx-style) once', async () => {
    const tag = `w${process.pid}-${++tags}`;
    const app = await spawnForks(tag, 'respawn', '2');
    const { workers } = await app.next();
    const { collection, counts } = collectionFor(tag);
    await collectUntil(collection, (s) => processes(s).length === 3, 'master and 2 workers');
    await collectUntilOld(collection);
    process.kill(workers![0]!, 'SIGKILL');
    const respawned = (await app.next()).workers!;
    await collectUntil(collection, (s) => processes(s).join() === [app.pid, ...respawned].sort((a, b) => a - b).join(), 'the respawned worker');
    expect(await counts()).toEqual({ restarts: 1, starts: 1, exits: 1 });
  });

  it('counts the whole app (master and workers) restarted once', async () => {
    const tag = `a${process.pid}-${++tags}`;
    const first = await spawnForks(tag, 'respawn', '2');
    const old = (await first.next()).workers!;
    const { collection, counts } = collectionFor(tag);
    await collectUntil(collection, (s) => processes(s).length === 3, 'the first app');
    await collectUntilOld(collection);
    first.child.kill('SIGKILL'); // its workers die with it (PR_SET_PDEATHSIG)
    await once(first.child, 'exit');
    const second = await spawnForks(tag, 'respawn', '2');
    const workers = (await second.next()).workers!;
    const expected = [second.pid, ...workers].sort((a, b) => a - b).join();
    await collectUntil(collection, (s) => processes(s).join() === expected, 'the second app');
    expect(old.some((pid) => expected.split(',').includes(String(pid)))).toBe(false);
    expect(await counts()).toEqual({ restarts: 1, starts: 3, exits: 3 });
  });

  it('counts N cluster workers dying one after another, each respawned, N times', async () => {
    const tag = `n${process.pid}-${++tags}`;
    const app = await spawnForks(tag, 'respawn', '3');
    let workers = (await app.next()).workers!;
    const original = [...workers];
    const { collection, counts } = collectionFor(tag);
    await collectUntil(collection, (s) => processes(s).length === 4, 'master and 3 workers');
    await collectUntilOld(collection);
    for (const pid of original) {
      process.kill(pid, 'SIGKILL');
      workers = (await app.next()).workers!;
      const expected = [app.pid, ...workers].sort((a, b) => a - b).join();
      await collectUntil(collection, (s) => processes(s).join() === expected, `the worker replacing ${pid}`);
    }
    expect(await counts()).toEqual({ restarts: 3, starts: 3, exits: 3 });
  });

  it('counts no restart when 12 process-per-connection sessions (PostgreSQL-style) end', async () => {
    const tag = `s${process.pid}-${++tags}`;
    const server = await spawnForks(tag, 'sessions');
    const { port } = await server.next();
    const { collection, counts } = collectionFor(tag);
    await collection.collect();
    const clients: Socket[] = [];
    for (let i = 0; i < 12; i++) {
      const c = connect(port!, '127.0.0.1');
      await once(c, 'connect');
      clients.push(c);
    }
    await collectUntil(collection, (s) => processes(s).length === 13, 'the postmaster and 12 backends');
    await collectUntilOld(collection);
    for (const c of clients) c.end();
    await collectUntil(collection, (s) => processes(s).length === 1, 'the backends to exit');
    expect(await counts()).toEqual({ restarts: 0, starts: 12, exits: 12 });
  });

  it('counts no restart for a prefork server answering 600 connections, each in a child of its own', { timeout: 60_000 }, async () => {
    const tag = `p${process.pid}-${++tags}`;
    const server = await spawnForks(tag, 'per-connection');
    const { port } = await server.next();
    const { collection, counts } = collectionFor(tag);
    await collectUntilOld(collection);
    let served = 0;
    const request = () =>
      new Promise<void>((resolve, reject) => {
        const c = connect(port!, '127.0.0.1', () => c.write('hi\n'));
        c.once('data', () => {
          served++;
          c.end();
          resolve();
        });
        c.once('error', reject);
      });
    // 20 clients at a time, collecting all along.
    let collecting = true;
    let oldestChild = 0;
    const collector = (async () => {
      while (collecting) {
        const snap = await collection.collect();
        for (const p of snap.targets[0]!.processes) if (p.pid !== server.pid) oldestChild = Math.max(oldestChild, snap.time / 1000 - p.startTimeSeconds!);
      }
    })();
    await Promise.all(Array.from({ length: 20 }, async () => {
      for (let i = 0; i < 30; i++) await request();
    }));
    collecting = false;
    await collector;
    expect(served).toBe(600);
    await collectUntil(collection, (s) => processes(s).length === 1, 'the children to exit');
    const c = await counts();
    expect(c.restarts, `the oldest child seen was ${oldestChild.toFixed(2)} s old`).toBe(0);
    // Children were seen, and every one seen was seen to go.
    expect(c.starts).toBeGreaterThan(0);
    expect(c.exits).toBe(c.starts);
  });

  it('counts no restart for short-lived commands in the zero-config default', { timeout: 70_000 }, async () => {
    // A command name of our own, so that its zero-config group is ours alone.
    const name = `skcmd${process.pid % 100000}`;
    const bin = join(dir, name);
    copyFileSync('/bin/sleep', bin);
    // Every command its own group: a small one would be summed into "other" under the default bound.
    const config = parseConfig('maxGroups: 1000');
    expect(config.restarts).toEqual({ minLifetime: 30_000, replacedWithin: 60_000 });
    const registry = new Registry();
    const collection = createTargetCollection(config, registry, captureLogger());
    collections.push(collection);
    // One command after another from one shell (same parent, same command line), each living
    // 2 s, far below the default minimum lifetime, and long enough to be seen by a zero-config
    // collection (which reads every process) on a busy machine.
    // Started through a shell that exits at once, so the loop is not this process's descendant:
    // the zero-config default leaves out everything sockeye (here, this test process) started.
    const starter = spawn('sh', ['-c', '(while :; do "$0" 2; done) </dev/null >/dev/null 2>&1 & echo $!', bin], { stdio: ['ignore', 'pipe', 'ignore'] });
    children.add(starter);
    let out = '';
    starter.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    await once(starter, 'exit');
    orphans.push(Number(out.trim()));
    const count = async (metric: string) => (await sampleMap(registry, metric))[`target=${name}`] ?? 0;
    // Until some were seen to start and end (a zero-config collection reads every process: slow on a busy machine).
    const deadline = Date.now() + 50_000;
    while ((await count('sockeye_process_exits_total')) < 3 && Date.now() < deadline) await collection.collect();
    expect(await count('sockeye_process_exits_total')).toBeGreaterThanOrEqual(3);
    // The first command seen was there at the group's first look: an exit, never a start.
    expect(await count('sockeye_process_starts_total')).toBeGreaterThanOrEqual(2);
    expect(await count('sockeye_process_restarts_total')).toBe(0);
  });
});
