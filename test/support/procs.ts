// Real processes holding known fds and sockets, for the /proc collectors'
// tests, `inspect` tests and benchmarks. The holder (holder.py, Python because
// it opens nothing it is not asked to) reports its pid and ports; everything
// it holds is listed in HoldSpec. Every holder is killed by killAllHolders()
// (call it in afterAll/afterEach) and on process exit.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** Sockets every holder has before it opens anything: its stdio. */
export const HOLDER_STDIO_SOCKETS = 3;

export const HOLDER_SCRIPT = fileURLToPath(new URL('./holder.py', import.meta.url));

/**
 * What a holder opens. Besides, fds 0, 1 and 2 are always its stdio, which
 * Node creates as unix socketpairs: 3 connected unix sockets.
 */
export interface HoldSpec {
  /** [soft, hard] RLIMIT_NOFILE, set first. */
  nofile?: [number, number];
  /** Rename the process (/proc/PID/comm), for comm matchers. */
  comm?: string;
  /** Open `path` `count` times (created if missing); `deleted` unlinks it afterwards. */
  files?: Array<{ path: string; count: number; deleted?: boolean }>;
  /** pipe() pairs: two fds each. */
  pipes?: number;
  eventfds?: number;
  epolls?: number;
  /** TCP listeners on an ephemeral port ("127.0.0.1" or "::1"). */
  listen?: Array<{ host: string; backlog?: number }>;
  /**
   * Connections to listener `listener` (index into all listeners so far):
   * established holds both ends (2 sockets); close_wait holds the accepted end
   * after the client closed (1 socket in CLOSE_WAIT); pending holds the client
   * end and leaves the connection in the accept queue (1 socket, queue +1).
   * `send` bytes go from client to the accepted end, which never reads them
   * (its receive queue holds them; not with pending).
   */
  connections?: Array<{ listener: number; count: number; state: 'established' | 'close_wait' | 'pending'; send?: number }>;
  /** Client connections to someone else's port, held open. */
  connectTo?: Array<{ host: string; port: number; count: number }>;
  /** UDP sockets bound to an ephemeral port. */
  udp?: Array<{ host: string }>;
  /** Listening unix stream sockets at these paths. */
  unixListen?: string[];
  /** socketpair()s: two connected unix sockets each. */
  unixPairs?: number;
  /** MiB of memory to allocate and keep, every page written (resident). */
  allocateMiB?: number;
  /**
   * Fork `children` at a time, each opening `path` `files` times and exiting
   * after lifeMs[0]..lifeMs[1] ms, for durationMs (in the background).
   * The children share the holder's command line.
   */
  churn?: { children: number; files: number; path: string; lifeMs: [number, number]; durationMs: number };
  /** Fork this many children after opening the rest: each holds the same fds (and so the same sockets) until the holder dies. */
  forks?: number;
  /** Exit on its own this long after the first report (only in the first spec). */
  exitAfterMs?: number;
}

export interface HolderReport {
  pid: number;
  listeners: Array<{ host: string; port: number; backlog: number }>;
  udp: Array<{ host: string; port: number }>;
  unix: string[];
  files: string[];
  /** Pids of the children of `forks`. */
  children?: number[];
}

export interface Holder {
  pid: number;
  /** Tag in the holder's command line: match it with `cmdline: "sockeye-holder <tag>"`. */
  tag: string;
  report: HolderReport;
  /** Opens more; resolves with the updated report. */
  add(spec: HoldSpec): Promise<HolderReport>;
  /** SIGKILL and wait for the exit. */
  kill(): Promise<void>;
  exited: Promise<void>;
}

const live = new Set<ChildProcessWithoutNullStreams>();
let tags = 0;
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

/**
 * `wrap`: a command that runs the holder's command line given after it with
 * exec (so the pid is the holder's), e.g. to start it in a cgroup or in a
 * network namespace.
 */
export async function spawnHolder(spec: HoldSpec, options: { tag?: string; timeoutMs?: number; wrap?: string[] } = {}): Promise<Holder> {
  const tag = options.tag ?? `t${process.pid}-${++tags}`;
  const command = [...(options.wrap ?? []), 'python3', '-I', HOLDER_SCRIPT, JSON.stringify(spec), 'sockeye-holder', tag];
  const child = spawn(command[0]!, command.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  live.add(child);
  const exited = once(child, 'exit').then(() => {
    live.delete(child);
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout });
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = (): Promise<HolderReport> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`holder ${tag} did not report in time: ${stderr}`)), options.timeoutMs ?? 20_000);
      const fail = () => {
        clearTimeout(timer);
        reject(new Error(`holder ${tag} exited before reporting: ${stderr}`));
      };
      child.once('exit', fail);
      waiting.push((line) => {
        clearTimeout(timer);
        child.off('exit', fail);
        resolve(JSON.parse(line) as HolderReport);
      });
    });
  let report: HolderReport;
  try {
    report = await next();
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const holder: Holder = {
    pid: report.pid,
    tag,
    report,
    async add(more) {
      const p = next();
      child.stdin.write(`${JSON.stringify(more)}\n`);
      holder.report = await p;
      return holder.report;
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    exited,
  };
  return holder;
}

export async function killAllHolders(): Promise<void> {
  const all = [...live];
  for (const c of all) c.kill('SIGKILL');
  await Promise.all(all.map((c) => (c.exitCode === null && c.signalCode === null ? once(c, 'exit') : undefined)));
}
