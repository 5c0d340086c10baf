/**
 * Instances of the example app (examples/app/server.js) for the incident lab:
 * each on its own free ports, named by `--lab=NAME --lab-run=RUN` arguments
 * that its cluster workers inherit, so one sockeye can watch several
 * instances as separate targets (match: { cmdline: labCmdline(NAME) }).
 *
 *   const app = await startLabApp({ name: 'close-wait' });
 *   await app.fault('close-wait', true);
 *   await app.stop();
 */
import { mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnChild, type Child } from './child.js';
import { getJson, poll } from './poll.js';
import { REPO_ROOT } from './sockeye.js';
import { openFilesLimit, readPidLimits } from '../../src/procfs/pid/limits.js';

export const APP_DIR = join(REPO_ROOT, 'examples', 'app');
export const APP_SERVER = join(APP_DIR, 'server.js');

export type FaultName = 'head-leak' | 'close-wait' | 'peer-leak' | 'response-leak' | 'poison' | 'wedge';
export const FAULT_NAMES: FaultName[] = ['head-leak', 'close-wait', 'peer-leak', 'response-leak', 'poison', 'wedge'];

export interface LabPorts {
  http: number;
  line: number;
  proto: number;
  admin: number;
}

export interface LabState {
  pid: number;
  ports: LabPorts;
  peer: string | null;
  faults: Record<FaultName, boolean>;
  workers: Array<{ index: number; pid: number }>;
  workerDeaths: number;
  stats: Array<{ index: number; pid: number; leakedFds: number; peerSockets: number; peerErrors: number; retainedBytes: number; inFlight: number }>;
}

export interface LabApp {
  name: string;
  pid: number;
  ports: LabPorts;
  child: Child;
  /** The static file HEAD requests leak (as /proc shows it). */
  indexPath: string;
  fault(name: FaultName, on: boolean): Promise<void>;
  state(): Promise<LabState>;
  stop(): Promise<void>;
}

export interface LabAppOptions {
  /** Instance name: the `--lab=NAME` argument and, by convention, the sockeye target name. */
  name: string;
  /**
   * The app's RLIMIT_NOFILE hard limit, through prlimit(1), with the soft
   * limit at 1024 as a container runtime starts it; Node raises its soft
   * limit to the hard one at start, so the app runs with `nofile`.
   */
  nofile?: number;
  workers?: number;
  /** Extra APP_* settings (see examples/app/settings.js). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

/**
 * Tells this test process's instances from those of another lab running on
 * the same machine at the same time (a second `npm test`, a demo): sockeye
 * matches by cmdline and would otherwise watch both.
 */
export const LAB_RUN = `${process.pid}.${Date.now().toString(36)}`;

/** cmdline regex selecting exactly one instance (its primary and workers, not its drivers). */
export function labCmdline(name: string): string {
  return `server\\.js --lab=${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} --lab-run=${LAB_RUN.replace('.', '\\.')}$`;
}

export async function startLabApp(options: LabAppOptions): Promise<LabApp> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    APP_HOST: '127.0.0.1',
    APP_HTTP_PORT: '0',
    APP_LINE_PORT: '0',
    APP_PROTO_PORT: '0',
    APP_ADMIN_PORT: '0',
    APP_WORKERS: String(options.workers ?? 2),
    // The peer of incident 3 on ::1, so it stands out from the lab's 127.0.0.1 traffic.
    APP_SINK_HOST: '::1',
    ...options.env,
  };
  const node = [process.execPath, APP_SERVER, `--lab=${options.name}`, `--lab-run=${LAB_RUN}`];
  const argv = options.nofile ? ['prlimit', `--nofile=${Math.min(1024, options.nofile)}:${options.nofile}`, '--', ...node] : node;
  const [cmd, ...args] = argv;
  let ready: { pid: number; ports: LabPorts } | undefined;
  let buffered = '';
  const child = spawnChild(`app ${options.name}`, cmd!, args, {
    env,
    cwd: APP_DIR,
    onStdout: (d) => {
      buffered += d;
      for (const line of buffered.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const msg = JSON.parse(line) as { event?: string; pid: number; ports: LabPorts };
          if (msg.event === 'ready') ready ??= msg;
        } catch {
          // partial line
        }
      }
    },
  });
  try {
    await poll(
      () => {
        if (!child.isRunning()) throw new Error('the app exited');
        return ready;
      },
      { timeoutMs: options.readyTimeoutMs ?? 15_000, what: `example app ${options.name} ready` },
    );
  } catch (err) {
    await child.stop();
    throw new Error(`${(err as Error).message}\napp output:\n${child.logs()}`);
  }
  const { ports } = ready!;
  const admin = `http://127.0.0.1:${ports.admin}`;
  return {
    name: options.name,
    pid: ready!.pid,
    ports,
    child,
    indexPath: join(APP_DIR, 'public', 'index.html'),
    async fault(name, on) {
      await getJson(`${admin}/admin/fault/${name}/${on ? 'on' : 'off'}`, { method: 'POST', timeoutMs: 5000 });
    },
    state: () => getJson<LabState>(`${admin}/admin/faults`),
    async stop() {
      await child.stop();
    },
  };
}

export interface MemoryCgroup {
  dir: string;
  /** Moves a running process in (memory it already has stays charged where it was). */
  add(pid: number): void;
  remove(): Promise<void>;
}

/** This process's RLIMIT_NOFILE hard limit: as high as an app started from here can go. */
export function hardNofileLimit(): number {
  return openFilesLimit(readPidLimits('/proc', process.pid))?.hard ?? 1048576;
}

/**
 * A child of this process's memory cgroup with a limit (cgroup v1
 * memory.limit_in_bytes, or v2 memory.max). Throws, naming the path, when
 * the hierarchy is not writable here.
 */
export function createMemoryCgroup(name: string, limitBytes: number): MemoryCgroup {
  const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
  const v1 = lines.map((l) => l.split(':')).find((f) => f[1]?.split(',').includes('memory'));
  const v2 = lines.map((l) => l.split(':')).find((f) => f[0] === '0' && f[1] === '');
  const [base, file] = v1 ? [`/sys/fs/cgroup/memory${v1[2]}`, 'memory.limit_in_bytes'] : [`/sys/fs/cgroup${v2?.[2] ?? ''}`, 'memory.max'];
  const dir = join(base.replace(/\/$/, ''), name);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, file), String(limitBytes));
  } catch (err) {
    throw new Error(`cannot create a memory cgroup with a limit at ${dir} (${(err as Error).message}); a memory limit needs a writable cgroup hierarchy (root, or a delegated cgroup)`);
  }
  return {
    dir,
    add(pid) {
      writeFileSync(join(dir, 'cgroup.procs'), String(pid));
    },
    async remove() {
      // Its processes may take a moment to be reaped.
      for (let i = 0; i < 50; i++) {
        try {
          rmdirSync(dir);
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    },
  };
}
