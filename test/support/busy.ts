/**
 * Healthy apps with the busy shapes that production has and the lab's
 * incidents do not, for the incident lab and `npm run demo`: none of them may
 * page. Real processes, real sockets, all on 127.0.0.1.
 *
 *   sessions  a process-per-connection server (a PostgreSQL backend per
 *             session, test/support/forks.py), with clients that keep
 *             opening and ending sessions of 0.5–3 s;
 *   pool      an app holding a steady pool of POOL_CONNECTIONS connections to
 *             one database (16 workers × 20), the database a server in this
 *             process;
 *   warmup    an app that warms up (opens WARMUP_STEPS × 40 cache files and
 *             fills 4 MiB of cache a step, one step a second: 15 minutes
 *             of shipped time) and then plateaus, in a memory cgroup with a
 *             generous limit (2 GiB) as a container has (unless told not to).
 *
 *   const busy = await startBusyApps(dir);
 *   busy.targets                          // sockeye targets matching each app
 *   await busy.warmUp();                  // the ramp, then the plateau
 *   await busy.stop();
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnChild, type Child } from './child.js';
import { createMemoryCgroup, type MemoryCgroup } from './lab.js';
import { poll, sleep } from './poll.js';
import { spawnHolder, type Holder } from './procs.js';

const FORKS = fileURLToPath(new URL('./forks.py', import.meta.url));
export const POOL_CONNECTIONS = 320;
export const WARMUP_STEPS = 15;
const WARMUP_FILES_PER_STEP = 40;
const WARMUP_MIB_PER_STEP = 4;
const CONCURRENT_SESSIONS = 8;
const WARMUP_MEMORY_LIMIT = 2 * 1024 ** 3;

export const BUSY_TARGET_NAMES = ['sessions', 'pool', 'warmup'] as const;

export interface BusyApps {
  /** sockeye targets, one per app, named as BUSY_TARGET_NAMES. */
  targets: Array<{ name: string; match: { cmdline: string }; processes: { min: number } }>;
  /** Sessions begun so far (each a backend process started and ended). */
  sessionsStarted(): number;
  /** The warm-up: WARMUP_STEPS steps a second apart; resolves at the plateau. */
  warmUp(): Promise<void>;
  stop(): Promise<void>;
}

export interface BusyOptions {
  /** Run the warm-up app under a 2 GiB memory cgroup (needs a writable cgroup hierarchy: root). Default true. */
  memoryLimit?: boolean;
}

export async function startBusyApps(options: BusyOptions = {}): Promise<BusyApps> {
  const tag = `busy${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'sockeye-busy-'));
  const clients = new Set<Socket>();
  const held = new Set<Socket>();
  let sessions: Child | undefined;
  let db: Server | undefined;
  let pool: Holder | undefined;
  let warm: Holder | undefined;
  let cgroup: MemoryCgroup | undefined;
  let started = 0;
  let stopping = false;

  const stop = async () => {
    stopping = true;
    for (const c of clients) c.destroy();
    await sessions?.stop(3000);
    await pool?.kill();
    await warm?.kill();
    for (const s of held) s.destroy();
    await new Promise<void>((r) => (db ? db.close(() => r()) : r()));
    await cgroup?.remove();
    rmSync(dir, { recursive: true, force: true });
  };

  try {
    let port: number | undefined;
    sessions = spawnChild('sessions', 'python3', ['-I', FORKS, 'sessions', 'sockeye-forks', `${tag}-sessions`], {
      onStdout: (d) => {
        const m = /"port": (\d+)/.exec(d);
        if (m) port = Number(m[1]);
      },
    });
    const sessionPort = await poll(() => port, { timeoutMs: 15_000, what: 'the sessions server listening' });
    // Clients: each session says a line now and then and hangs up after 0.5–3 s; another takes its place.
    const session = () => {
      if (stopping) return;
      const c = connect(sessionPort, '127.0.0.1');
      clients.add(c);
      started++;
      const talk = setInterval(() => c.write('select 1\n'), 300);
      const end = setTimeout(() => c.end(), 500 + Math.random() * 2500);
      c.on('error', () => {});
      c.on('close', () => {
        clearInterval(talk);
        clearTimeout(end);
        clients.delete(c);
        session();
      });
    };
    for (let i = 0; i < CONCURRENT_SESSIONS; i++) session();

    db = createServer((s) => {
      held.add(s);
      s.on('error', () => {});
      s.on('close', () => held.delete(s));
    });
    await new Promise<void>((r) => db!.listen(0, '127.0.0.1', () => r()));
    const dbPort = (db.address() as { port: number }).port;
    pool = await spawnHolder({ connectTo: [{ host: '127.0.0.1', port: dbPort, count: POOL_CONNECTIONS }] }, { tag: `${tag}-pool` });

    if (options.memoryLimit ?? true) cgroup = createMemoryCgroup(`sockeye-busy-${process.pid}`, WARMUP_MEMORY_LIMIT);
    warm = await spawnHolder({}, { tag: `${tag}-warmup` });
    cgroup?.add(warm.pid);
  } catch (err) {
    await stop();
    throw err;
  }

  const holderTarget = (name: string, h: Holder) => ({ name, match: { cmdline: `sockeye-holder ${h.tag}$` }, processes: { min: 1 } });
  return {
    targets: [
      { name: 'sessions', match: { cmdline: `sockeye-forks ${tag}-sessions$` }, processes: { min: 1 } },
      holderTarget('pool', pool),
      holderTarget('warmup', warm),
    ],
    sessionsStarted: () => started,
    async warmUp() {
      for (let step = 0; step < WARMUP_STEPS; step++) {
        const files = Array.from({ length: WARMUP_FILES_PER_STEP }, (_, i) => ({ path: join(dir, `cache-${step}-${i}`), count: 1 }));
        await warm!.add({ files, allocateMiB: WARMUP_MIB_PER_STEP });
        await sleep(1000);
      }
    },
    stop,
  };
}
