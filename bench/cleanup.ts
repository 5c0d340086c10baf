// Every process the benchmark starts is registered here and killed when the
// benchmark ends: normally, on error, or on Ctrl-C. Fixtures also exit on
// their own when their IPC channel closes.
import type { ChildProcess } from 'node:child_process';
import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
const cgroups = new Set<string>();
const pids = new Set<number>();

export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

export function trackDir(dir: string): string {
  dirs.add(dir);
  return dir;
}

/** A process the benchmark started that is not its child (a daemon): killed by its pid. */
export function trackPid(pid: number): number {
  pids.add(pid);
  return pid;
}

/** A cgroup tree the benchmark made: removed (rmdir, deepest first) once its processes are gone. */
export function trackCgroup(dir: string): string {
  cgroups.add(dir);
  return dir;
}

// A killed process leaves its cgroup when the kernel has torn it down, a moment after the signal.
const CGROUP_GONE_MS = 10_000;

function rmdirTree(dir: string): void {
  let subdirs: string[];
  try {
    subdirs = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => join(dir, e.name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const sub of subdirs) rmdirTree(sub);
  const deadline = Date.now() + CGROUP_GONE_MS;
  for (;;) {
    try {
      rmdirSync(dir);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return;
      if (code !== 'EBUSY' || Date.now() > deadline) {
        process.stderr.write(`bench: cannot remove cgroup ${dir}: ${(err as Error).message}\n`);
        return;
      }
      // Synchronous: cleanup also runs in the 'exit' handler, where nothing asynchronous does.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  }
}

/** Kills what is still running (by its own pid), then removes cgroups and temporary dirs. Idempotent, synchronous. */
export function cleanup(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pids.clear();
  for (const dir of cgroups) rmdirTree(dir);
  cgroups.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

let installed = false;
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  process.on('exit', cleanup);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal}, cleaning up\n`);
      cleanup();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (err) => {
    process.stderr.write(`bench: ${err.stack ?? err}\n`);
    cleanup();
    process.exit(1);
  });
  process.on('unhandledRejection', (err) => {
    process.stderr.write(`bench: ${(err as Error)?.stack ?? err}\n`);
    cleanup();
    process.exit(1);
  });
}
