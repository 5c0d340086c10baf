// The native fd walk (native/fd.c) against the JS walk (readdirSync +
// readlinkSync, classifyFdLink), on real processes holding real fds: same
// summary, same errors ('vanished', 'denied'), fds closed mid-walk tolerated,
// loadable in worker threads, and both sources giving the same snapshot.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { createTargetCollection, type CollectionSnapshot, type SourceKind } from '../../src/collectors/index.js';
import { parseConfig } from '../../src/config/load.js';
import { requireAddon, walkPidFds, type Addon } from '../../src/procfs/addon.js';
import { failureKind } from '../../src/procfs/errors.js';
import { FD_TYPES, classifyFdLink, readPidFdLinks, readPidFdSummary, socketInode, type FdSummary } from '../../src/procfs/pid/fd.js';
import { captureLogger } from '../support/collection.js';
import { HOLDER_STDIO_SOCKETS, killAllHolders, spawnHolder, type Holder } from '../support/procs.js';
import { startSockeye } from '../support/sockeye.js';
import { worldReadableCopy } from '../support/world-readable.js';
import { poll } from '../support/poll.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'sockeye-fd-native-'));
const started: ChildProcess[] = [];

// The native walk gives socket inodes as a Float64Array, the JS path an array: compared as arrays.
const comparable = (s: FdSummary) => ({ count: s.count, types: s.types, paths: [...s.paths], socketInodes: Array.from(s.socketInodes) });

let addon: Addon;
let h: Holder;
// Everything the holder opens, so the expected counts below follow from it.
const files = { a: join(dir, 'a.log'), b: join(dir, 'b.html'), gone: join(dir, 'gone.tmp') };
beforeAll(async () => {
  // Whatever SOCKEYE_NATIVE says: these tests are about the addon, and fail when it is not built.
  addon = requireAddon();
  h = await spawnHolder({
    files: [
      { path: files.a, count: 40 },
      { path: files.b, count: 3 },
      { path: files.gone, count: 2, deleted: true },
    ],
    pipes: 3,
    eventfds: 2,
    epolls: 1,
    listen: [{ host: '127.0.0.1' }, { host: '::1' }],
    connections: [
      { listener: 0, count: 5, state: 'established', send: 100 },
      { listener: 1, count: 3, state: 'close_wait' },
      { listener: 0, count: 2, state: 'pending' },
    ],
    udp: [{ host: '127.0.0.1' }, { host: '::1' }],
    unixListen: [join(dir, 'u.sock')],
    unixPairs: 2,
  });
});

afterAll(async () => {
  for (const c of started) c.kill('SIGKILL');
  await killAllHolders();
  rmSync(dir, { recursive: true, force: true });
});

describe('native and JS fd walks on a real process', () => {
  it('give the same summary, and it is what the process holds', async () => {
    const native = await walkPidFds(addon, '/proc', h.pid);
    const js = readPidFdSummary('/proc', h.pid);
    expect(comparable(native)).toEqual(comparable(js));

    // stdio + 2 listeners + 5 established pairs + 3 close_wait + 2 pending clients + 2 udp + 1 unix listener + 2 socketpairs.
    const sockets = HOLDER_STDIO_SOCKETS + 2 + 5 * 2 + 3 + 2 + 2 + 1 + 2 * 2;
    expect(native.types).toMatchObject({ socket: sockets, pipe: 6, eventfd: 2, eventpoll: 1, file: 45 });
    expect(native.count).toBe(Object.values(native.types).reduce((a, b) => a + b, 0));
    expect(native.paths.get(files.a)).toBe(40);
    expect(native.paths.get(files.b)).toBe(3);
    expect(native.paths.get(`${files.gone} (deleted)`)).toBe(2);
    expect(native.socketInodes).toHaveLength(sockets);
    expect(new Set(native.socketInodes).size).toBe(sockets);
  });

  it('classify every real link as classifyFdLink and socketInode do', () => {
    const links = readPidFdLinks('/proc', h.pid).concat(readPidFdLinks('/proc', process.pid));
    expect(new Set(links.map(classifyFdLink)).size).toBeGreaterThanOrEqual(5);
    for (const link of links) {
      const [type, inode] = addon.classify(link);
      expect([link, FD_TYPES[type]]).toEqual([link, classifyFdLink(link)]);
      expect([link, inode]).toEqual([link, socketInode(link) ?? -1]);
    }
  });

  it("both throw the JS path's 'vanished' for a process that exited", async () => {
    const gone = await spawnHolder({ pipes: 1 });
    await gone.kill();
    const errors: NodeJS.ErrnoException[] = [];
    for (const f of [() => walkPidFds(addon, '/proc', gone.pid), async () => readPidFdSummary('/proc', gone.pid)]) {
      const err = await f().then(
        () => undefined,
        (e: NodeJS.ErrnoException) => e,
      );
      if (!err) throw new Error(`pid ${gone.pid} was read after it exited`);
      errors.push(err);
    }
    expect(errors.map(failureKind)).toEqual(['vanished', 'vanished']);
    expect(errors[0]!.message).toBe(errors[1]!.message);
    expect([errors[0]!.code, errors[0]!.syscall, errors[0]!.path]).toEqual([errors[1]!.code, errors[1]!.syscall, errors[1]!.path]);
  });

  it("both report 'denied' for another user's process, through the path SOCKEYE_NATIVE selects", async () => {
    // As root, a holder of ours is someone else's to uid 65534; otherwise pid 1 (root's) is someone else's to us.
    const asRoot = process.getuid?.() === 0;
    const pid = asRoot ? h.pid : 1;
    // uid 65534 runs a world-readable copy: this checkout may sit in a private directory.
    const cwd = asRoot ? await worldReadableCopy() : root;
    const results = [];
    for (const native of ['1', '0']) {
      const node = [process.execPath, '--import', 'tsx', join(cwd, 'test/integration/fd-native.child.ts'), String(pid)];
      const argv = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
      const { stdout } = await run(argv[0]!, argv.slice(1), { cwd, timeout: 60_000, env: { ...process.env, HOME: '/tmp', SOCKEYE_NATIVE: native } });
      results.push(JSON.parse(stdout) as { mode: string; kind?: string; code?: string });
    }
    expect(results).toEqual([
      expect.objectContaining({ mode: 'native', kind: 'denied', code: 'EACCES' }),
      expect.objectContaining({ mode: 'js', kind: 'denied', code: 'EACCES' }),
    ]);
  });

  it('skip fds closed between readdir and readlink, and never fail on them', async () => {
    // A process opening and closing 300 fds as fast as it can.
    const churn = spawn('python3', ['-I', '-c', "import os\nwhile True:\n    fds = [os.open('/dev/null', os.O_RDONLY) for _ in range(300)]\n    for f in fds: os.close(f)\n"], { stdio: 'ignore' });
    started.push(churn);
    await new Promise((r) => setTimeout(r, 200));
    let skipped = 0;
    let walks = 0;
    const deadline = Date.now() + 15_000;
    // Until the native walk has seen a listed fd vanish a few times (bounded in time).
    while (skipped < 3 && Date.now() < deadline) {
      const r = await addon.walkAsync(`/proc/${churn.pid}/fd`);
      skipped += r.skipped;
      expect(r.count).toBeLessThanOrEqual(300 + 3);
      readPidFdSummary('/proc', churn.pid!);
      walks++;
    }
    churn.kill('SIGKILL');
    await once(churn, 'exit');
    expect(skipped, `after ${walks} walks`).toBeGreaterThanOrEqual(3);
  });
});

describe("the addon's whole-file read (command lines)", () => {
  it('gives the bytes fs gives, and fails as fs.promises.readFile does for a process that exited', async () => {
    const h = await spawnHolder({ pipes: 1 });
    const path = `/proc/${h.pid}/cmdline`;
    expect(Buffer.from(await addon.readFileAsync(path))).toEqual(await readFile(path));
    await h.kill();
    const errors: NodeJS.ErrnoException[] = [];
    for (const read of [() => addon.readFileAsync(path), () => readFile(path)]) {
      const err = await (read() as Promise<unknown>).then(
        () => undefined,
        (e: NodeJS.ErrnoException) => e,
      );
      if (!err) throw new Error(`${path} was read after its process exited`);
      errors.push(err);
    }
    expect(errors.map(failureKind)).toEqual(['vanished', 'vanished']);
    expect([errors[0]!.code, errors[0]!.syscall, errors[0]!.path, errors[0]!.message]).toEqual([errors[1]!.code, errors[1]!.syscall, errors[1]!.path, errors[1]!.message]);
  });
});

describe('the addon in worker threads', () => {
  it('loads in several workers at once (context-aware), and SOCKEYE_NATIVE=0 selects JS there too', async () => {
    const entry = new URL('../../src/collectors/sources/index.ts', import.meta.url).href;
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); }).then(async (sources) => {
        const kind = sources.chooseSource('/proc').kind;
        const s = (await sources.openSource(kind, { procRoot: '/proc', cgroupRoot: '/sys/fs/cgroup' }).fdSummaries([workerData.pid])).get(workerData.pid);
        parentPort.postMessage({ mode: kind === 'native' ? 'native' : 'js', summary: { count: s.count, types: s.types, paths: [...s.paths], socketInodes: Array.from(s.socketInodes) } });
      });`;
    const inWorker = async (native: string) => {
      const w = new Worker(code, { eval: true, workerData: { pid: h.pid }, env: { ...process.env, SOCKEYE_NATIVE: native } });
      try {
        const [msg] = (await Promise.race([once(w, 'message'), once(w, 'error').then(([e]) => Promise.reject(e))])) as [{ mode: string; summary: unknown }];
        return msg;
      } finally {
        await w.terminate();
      }
    };
    const [a, b, c] = await Promise.all([inWorker('1'), inWorker('1'), inWorker('0')]);
    const expected = comparable(readPidFdSummary('/proc', h.pid));
    expect([a!.mode, b!.mode, c!.mode]).toEqual(['native', 'native', 'js']);
    for (const r of [a, b, c]) expect(r!.summary).toEqual(expected);
  });
});

describe('both sources', () => {
  it('give the same snapshot of a real process holding every socket shape (native on this thread, text in the worker)', async () => {
    const config = parseConfig(`targets:\n  - name: held\n    match: { pid: ${h.pid} }\n`);
    const collect = async (source: SourceKind) => {
      const collection = createTargetCollection(config, new Registry(), captureLogger(), { source });
      try {
        return await collection.collect();
      } finally {
        await collection.close();
      }
    };
    // What may move between two collections of an idle process: its CPU time, and the memory of
    // the cgroup it shares with this test's process.
    const still = <T extends object>(u: T): T => {
      const { cpuUserSeconds: _u, cpuSystemSeconds: _s, workingSetBytes: _w, ...rest } = u as T & Record<string, unknown>;
      return rest as T;
    };
    const comparableSnapshot = (snap: CollectionSnapshot) => ({
      collectors: snap.collectors.map((c) => [c.name, c.success]),
      netnsRead: snap.netnsRead,
      targets: snap.targets.map(({ total, processes, ...t }) => ({ ...t, total: still(total), processes: processes.map(still) })),
    });
    const native = comparableSnapshot(await collect('native'));
    const text = comparableSnapshot(await collect('text'));
    expect(native).toEqual(text);

    const t = native.targets[0]!;
    expect(t.readable).toBe(true);
    expect(native.collectors.every(([, ok]) => ok)).toBe(true);
    expect(t.total.fds?.file).toBe(45);
    const count = (protocol: string, state: string) => t.total.sockets.find((s) => s.protocol === protocol && s.state === state)?.count;
    // Every shape: listeners, both ends of established connections, close_wait, pending clients, udp, unix.
    expect([count('tcp', 'listen'), count('tcp6', 'listen'), count('tcp', 'established'), count('tcp6', 'close_wait'), count('tcp', 'close_wait')]).toEqual([1, 1, 5 * 2 + 2, 3, undefined]);
    expect([count('udp', 'close'), count('udp6', 'close'), count('unix', 'listen')]).toEqual([1, 1, 1]);
    // The listen backlog: from the dump (native), from ss (text).
    expect(t.total.listen.map((l) => l.backlog)).toEqual([expect.any(Number), expect.any(Number)]);
    expect(t.total.peers.map((p) => p.peer).sort()).toEqual(['127.0.0.1', '::1']);
    expect(t.total.queues.rx).toBe(5 * 100);
  });
});

describe('sockeye (dist/main.js)', () => {
  it('says in its startup line how it collects and which fd walk it uses', async () => {
    const lines: Array<string | undefined> = [];
    for (const env of [{}, { SOCKEYE_NATIVE: '0' }] as Array<Record<string, string>>) {
      const s = await startSockeye({ env });
      try {
        lines.push(await poll(() => s.logs().split('\n').find((l) => l.includes('"fdWalk"')), { timeoutMs: 10_000, what: 'the startup line' }));
      } finally {
        await s.stop();
      }
    }
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: 30,
      fdWalk: 'native',
      collection: 'async',
      msg: expect.stringMatching(/; collection: on the main thread, the fd walk and the TCP socket dump in C on libuv's pool; fd walk: native \(readdir \+ readlinkat in C\)$/),
    });
    // Without the addon the walk is synchronous JS: it runs in the worker.
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 30, fdWalk: 'js', collection: 'worker', msg: expect.stringMatching(/; collection: in a worker thread; fd walk: JavaScript \(SOCKEYE_NATIVE=0\)$/) });
  });

  it('collects in the worker in node mode, with the addon built, and says why', async () => {
    const s = await startSockeye({ config: { mode: 'node', node: { outsidePods: 'exclude' } } });
    try {
      const line = await poll(() => s.logs().split('\n').find((l) => l.includes('"fdWalk"')), { timeoutMs: 10_000, what: 'the startup line' });
      expect(JSON.parse(line)).toMatchObject({
        level: 30,
        source: 'native',
        fdWalk: 'native',
        collection: 'worker',
        msg: expect.stringMatching(/; collection: in a worker thread, the fd walk in C on libuv's pool; fd walk: native \(readdir \+ readlinkat in C\) \(node mode: [^)]*\)$/),
      });
    } finally {
      await s.stop();
    }
  });
});

describe('the loader', () => {
  it('chooses the text source (the JS walk), saying why, when the addon is missing or does not load', async () => {
    // A copy of the sources, in a tree with no build/ (then a broken one).
    const tree = join(dir, 'tree');
    cpSync(join(root, 'src'), join(tree, 'src'), { recursive: true });
    const probe = join(tree, 'probe.mts');
    writeFileSync(
      probe,
      "import { chooseSource, openSource } from './src/collectors/sources/index.ts';\n" +
        'const pid = Number(process.argv[2]);\n' +
        "const { kind, reason } = chooseSource('/proc');\n" +
        "const walk = (await openSource(kind, { procRoot: '/proc', cgroupRoot: '/sys/fs/cgroup' }).fdSummaries([pid])).get(pid);\n" +
        "console.log(JSON.stringify({ mode: kind === 'native' ? 'native' : 'js', reason, count: walk.count }));\n",
    );
    const probeRun = async () => {
      const { stdout } = await run(process.execPath, ['--import', 'tsx', probe, String(h.pid)], { cwd: root, timeout: 60_000, env: { ...process.env, SOCKEYE_NATIVE: '' } });
      return JSON.parse(stdout) as { mode: string; reason?: string; count: number };
    };
    const expected = readPidFdSummary('/proc', h.pid).count;
    const missing = await probeRun();
    expect(missing).toMatchObject({ mode: 'js', count: expected });
    expect(missing.reason).toMatch(/build\/Release\/sockeye_fd\.node is not built \(npm run build:native/);

    mkdirSync(join(tree, 'build', 'Release'), { recursive: true });
    writeFileSync(join(tree, 'build', 'Release', 'sockeye_fd.node'), 'not a shared object');
    const broken = await probeRun();
    expect(broken).toMatchObject({ mode: 'js', count: expected });
    expect(broken.reason).toMatch(/sockeye_fd\.node failed to load: .*(invalid ELF header|too short)/);
  });
});
