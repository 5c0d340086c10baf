/**
 * Instances of the example app (examples/app/server.js) for the incident lab:
 * each on its own free ports, named by a `--lab=NAME` argument that its
 * cluster workers inherit, so one sockeye can watch several instances as
 * separate targets (match: { cmdline: labCmdline(NAME) }).
 *
 *   const app = await startLabApp({ name: 'close-wait' });
 *   await app.fault('close-wait', true);
 *   await app.stop();
 */
import { join } from 'node:path';
import { spawnChild, type Child } from './child.js';
import { getJson, poll } from './poll.js';
import { REPO_ROOT } from './sockeye.js';

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
  /** Lowered RLIMIT_NOFILE (soft = hard) for the app, through prlimit(1). */
  nofile?: number;
  workers?: number;
  /** Extra APP_* settings (see examples/app/settings.js). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

/** cmdline regex selecting exactly one instance (its primary and workers, not its drivers). */
export function labCmdline(name: string): string {
  return `server\\.js --lab=${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`;
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
  const node = [process.execPath, APP_SERVER, `--lab=${options.name}`];
  const [cmd, ...args] = options.nofile ? ['prlimit', `--nofile=${options.nofile}:${options.nofile}`, '--', ...node] : node;
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
