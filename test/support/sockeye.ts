/**
 * Spawns the real, built sockeye CLI (`node dist/main.js`) for integration and
 * e2e tests.
 *
 *   const s = await startSockeye({ config: 'targets: [...]' });   // YAML text or an object
 *   await fetch(`${s.url}/metrics`);
 *   await s.stop();                                               // SIGTERM, SIGKILL after 5 s
 *
 * startSockeye(options?) → Promise<Sockeye>
 *   options.config   YAML text, or an object serialised to YAML; omitted = no
 *                    --config (the zero-config default).
 *   options.args     extra CLI arguments (after ours).
 *   options.env      extra environment; SOCKEYE_* from the test's own
 *                    environment are never inherited.
 *   options.cwd      working directory (kept); default: a fresh temp dir
 *                    (removed by stop()), which is where the default
 *                    stateDir lands. Reuse a cwd to restart with the same state.
 *   options.host     listen host, default 127.0.0.1 (use "::1" for IPv6).
 *   options.port     listen port, default a free one.
 *   options.listenFlag  false: pass no --listen (the port must come from the
 *                    config or SOCKEYE_LISTEN; give it as options.port).
 *   options.readyTimeoutMs  bound for /readyz to answer, default 15000.
 *   options.scheme   'https' for a sockeye serving TLS (s.url's scheme).
 *   options.ready    probe(s) → true once ready, replacing the plain GET
 *                    /readyz (needed behind TLS or basic auth).
 * Sockeye: url (http://127.0.0.1:PORT), port, pid, proc (ChildProcess),
 *   dir (temp dir holding the config), configPath, logs() (stdout+stderr so
 *   far), stderr(), exited (promise of {code, signal}),
 *   stop(signal = 'SIGTERM', timeoutMs = 5000) → {code, signal}.
 *
 * runSockeye(args, {env, cwd, timeoutMs, wrapper, main}) → {code, signal, stdout, stderr}:
 *   one CLI invocation that is expected to exit by itself (--help, check-config);
 *   wrapper prefixes the command (e.g. ['setpriv', '--reuid=65534', ...]);
 *   main replaces MAIN_JS (e.g. the one in worldReadableCopy(), for another uid).
 * freePort(host?) → a port that was free a moment ago (bind 0, close).
 * ensureBuilt() → builds dist/ once per test process when its inputs changed
 *   (scripts/build.mjs --if-stale; startSockeye/runSockeye call it).
 *
 * Every process started here is killed in afterAll of the test file that
 * imported this module, and SIGKILLed if the test process exits, so a failing
 * test never leaves one behind.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll } from 'vitest';
import { stringify } from 'yaml';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const MAIN_JS = join(REPO_ROOT, 'dist', 'main.js');

export interface StartOptions {
  config?: string | Record<string, unknown>;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  host?: string;
  port?: number;
  listenFlag?: boolean;
  readyTimeoutMs?: number;
  /** URL scheme of s.url (https with a web config's TLS). */
  scheme?: 'http' | 'https';
  /** Readiness probe instead of GET /readyz over plain fetch (TLS, basic auth): true once ready. */
  ready?: (s: Sockeye) => Promise<boolean>;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface Sockeye {
  url: string;
  port: number;
  pid: number;
  proc: ChildProcess;
  dir: string;
  configPath: string | undefined;
  logs(): string;
  stderr(): string;
  exited: Promise<Exit>;
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

const running = new Set<Sockeye>();

try {
  afterAll(async () => {
    await Promise.all([...running].map((s) => s.stop('SIGTERM', 3000)));
  });
} catch {
  // Imported outside a test file's collection (e.g. a script): the exit hook below still applies.
}
process.on('exit', () => {
  for (const s of running) {
    try {
      s.proc.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
});

/** A port that was free when checked. Racy by nature; startSockeye retries. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

// Test files run in parallel forks; one builds, the others wait for its lock.
const LOCK = join(tmpdir(), `sockeye-build-${REPO_ROOT.replace(/[^A-Za-z0-9]/g, '_')}.lock`);

async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      writeFileSync(join(LOCK, 'pid'), String(process.pid));
      break;
    } catch {
      let holder = NaN;
      try {
        holder = Number(readFileSync(join(LOCK, 'pid'), 'utf8'));
      } catch {
        // lock dir without pid yet: its creator is writing it
      }
      if (Number.isInteger(holder) && holder > 0 && !pidAlive(holder)) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`ensureBuilt: waited 180 s for the build lock ${LOCK}`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

let built: Promise<void> | undefined;

/** Builds dist/ once per test process when its inputs changed (scripts/build.mjs --if-stale, as npm start does). */
export function ensureBuilt(): Promise<void> {
  built ??= withBuildLock(async () => {
    const out = await new Promise<{ code: number; output: string }>((resolve) => {
      execFile(process.execPath, [join(REPO_ROOT, 'scripts/build.mjs'), '--if-stale'], { cwd: REPO_ROOT, timeout: 170_000 }, (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
      });
    });
    // tsc still emits on type errors (someone's work in progress elsewhere);
    // only a missing dist/main.js is fatal here. `npm test` builds strictly
    // in pretest.
    if (out.code !== 0) {
      if (!existsSync(MAIN_JS)) throw new Error(`ensureBuilt: the build failed and there is no dist/main.js:\n${out.output}`);
      process.stderr.write(`ensureBuilt: the build reported errors (dist emitted anyway):\n${out.output}\n`);
    }
  });
  return built;
}

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('SOCKEYE_')) env[k] = v;
  return { ...env, ...extra };
}

function hostInUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

async function launch(options: StartOptions, port: number, dir: string, configPath: string | undefined): Promise<Sockeye> {
  const host = options.host ?? '127.0.0.1';
  const listen = options.listenFlag === false ? [] : ['--listen', `${hostInUrl(host)}:${port}`];
  const args = [MAIN_JS, ...(configPath ? ['--config', configPath] : []), ...listen, ...(options.args ?? [])];
  const proc = spawn(process.execPath, args, {
    cwd: options.cwd ?? dir,
    env: childEnv(options.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let all = '';
  let err = '';
  proc.stdout!.setEncoding('utf8').on('data', (d: string) => (all += d));
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => {
    all += d;
    err += d;
  });
  const exited = new Promise<Exit>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  let exitInfo: Exit | undefined;
  void exited.then((e) => (exitInfo = e));

  let cleaned = false;
  const cleanup = () => {
    if (cleaned) return;
    cleaned = true;
    running.delete(s);
    rmSync(dir, { recursive: true, force: true });
  };
  const s: Sockeye = {
    url: `${options.scheme ?? 'http'}://${hostInUrl(host)}:${port}`,
    port,
    pid: proc.pid!,
    proc,
    dir,
    configPath,
    logs: () => all,
    stderr: () => err,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 5000) {
      if (exitInfo === undefined) {
        proc.kill(signal);
        const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
      return exited;
    },
  };
  running.add(s);
  return s;
}

async function waitReady(s: Sockeye, timeoutMs: number, probe?: (s: Sockeye) => Promise<boolean>): Promise<'ready' | 'exited' | 'timeout'> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void s.exited.then(() => (gone = true));
  while (Date.now() < deadline) {
    if (gone) return 'exited';
    try {
      if (probe) {
        if (await probe(s)) return 'ready';
      } else {
        const res = await fetch(`${s.url}/readyz`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.ok) return 'ready';
      }
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  return gone ? 'exited' : 'timeout';
}

/** Starts sockeye on a free loopback port and resolves once /readyz answers 200. */
export async function startSockeye(options: StartOptions = {}): Promise<Sockeye> {
  await ensureBuilt();
  const timeoutMs = options.readyTimeoutMs ?? 15_000;
  for (let attempt = 1; ; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'sockeye-test-'));
    let configPath: string | undefined;
    if (options.config !== undefined) {
      configPath = join(dir, 'sockeye.yaml');
      writeFileSync(configPath, typeof options.config === 'string' ? options.config : stringify(options.config));
    }
    const port = options.port ?? (await freePort(options.host ?? '127.0.0.1'));
    const s = await launch(options, port, dir, configPath);
    const state = await waitReady(s, timeoutMs, options.ready);
    if (state === 'ready') return s;
    const exit = await s.stop('SIGKILL', 1000);
    // Someone took the port between freePort() and listen: try another.
    if (state === 'exited' && /address already in use/.test(s.logs()) && options.port === undefined && attempt < 3) continue;
    throw new Error(
      `sockeye did not become ready on ${s.url} (${state === 'exited' ? `exited with ${exit.code ?? exit.signal}` : `no /readyz within ${timeoutMs} ms`}); output:\n${s.logs()}`,
    );
  }
}

export interface RunResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Runs the CLI to completion (killed after timeoutMs, default 15 s). */
export async function runSockeye(
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; wrapper?: string[]; main?: string } = {},
): Promise<RunResult> {
  await ensureBuilt();
  const [cmd, ...cmdArgs] = [...(options.wrapper ?? []), process.execPath, options.main ?? MAIN_JS, ...args];
  return new Promise((resolve, reject) => {
    const proc = spawn(cmd!, cmdArgs, {
      cwd: options.cwd ?? REPO_ROOT,
      env: childEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    proc.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => proc.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    proc.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    proc.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
