/**
 * Long-running helper processes of the e2e harness (prometheus, alertmanager,
 * the example app): spawned in their own process group so that stop() also
 * ends their children (cluster workers, traffic drivers), logs kept for
 * failure messages, and every one killed in afterAll of the test file that
 * started it, or when the test process exits, whatever happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll } from 'vitest';
import { poll } from './poll.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Child {
  name: string;
  pid: number;
  proc: ChildProcess;
  /** stdout+stderr so far (the last 200 kB). */
  logs(): string;
  exited: Promise<Exit>;
  isRunning(): boolean;
  /** Signal to the whole process group (SIGSTOP/SIGCONT included). */
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM the group, SIGKILL after timeoutMs; resolves once the leader exited. */
  stop(timeoutMs?: number): Promise<Exit>;
}

const running = new Set<Child>();

try {
  afterAll(async () => {
    await Promise.all([...running].map((c) => c.stop(3000)));
  });
} catch {
  // Imported by a script (npm run demo): it stops its children itself; the exit hook below still applies.
}
process.on('exit', () => {
  for (const c of running) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

const MAX_LOG = 200_000;

export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Called with every chunk of stdout (e.g. to read a "ready" line). */
  onStdout?: (chunk: string) => void;
}

export function spawnChild(name: string, command: string, args: string[], options: SpawnOptions = {}): Child {
  const proc = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: stop() reaches its children too
  });
  let log = '';
  const append = (d: string) => {
    log += d;
    if (log.length > MAX_LOG) log = log.slice(-MAX_LOG);
  };
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
    append(d);
    options.onStdout?.(d);
  });
  proc.stderr!.setEncoding('utf8').on('data', append);
  let exitInfo: Exit | undefined;
  const exited = new Promise<Exit>((resolve) => {
    proc.once('exit', (code, signal) => resolve((exitInfo = { code, signal })));
    proc.once('error', (err) => {
      append(`spawn error: ${err.message}\n`);
      resolve((exitInfo = { code: null, signal: null }));
    });
  });
  const group = (sig: NodeJS.Signals) => {
    try {
      process.kill(-proc.pid!, sig);
    } catch {
      // group already gone
    }
  };
  const child: Child = {
    name,
    pid: proc.pid ?? -1,
    proc,
    logs: () => log,
    exited,
    isRunning: () => exitInfo === undefined,
    signal: group,
    async stop(timeoutMs = 5000) {
      running.delete(child);
      if (exitInfo === undefined) {
        group('SIGCONT'); // a stopped process cannot handle SIGTERM
        group('SIGTERM');
        const timer = setTimeout(() => group('SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      // Children that outlived their leader.
      group('SIGKILL');
      return exited;
    },
  };
  if (proc.pid !== undefined) running.add(child);
  return child;
}

/**
 * Waits until `url` answers 2xx. If the child exits or the bound passes,
 * runs cleanup and throws with the child's output.
 */
export async function untilReady(child: Child, url: string, timeoutMs: number, cleanup: () => Promise<void>): Promise<void> {
  try {
    await poll(
      async () => {
        if (!child.isRunning()) throw new Error(`${child.name} exited`);
        const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
        return res.ok;
      },
      { timeoutMs, what: `${child.name} ready at ${url}` },
    );
  } catch (err) {
    await cleanup();
    throw new Error(`${(err as Error).message}\n${child.name} output:\n${child.logs()}`);
  }
}
