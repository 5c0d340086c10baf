// 500 http checks every second against a local server: half of the time
// alone, half with /metrics of the large target scraped once a second — do
// scrapes delay the checks? Start times are seen from the server, by arrival:
// a small C server (bench/fixtures/check-server.c) stamps each accept(), so
// the stamps do not wait on a Node event loop sharing the two vCPUs.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { checkPhaseMs } from '../../src/checks/scheduler.js';
import { track } from '../cleanup.js';
import { compileC, OUT } from '../floor.js';
import { scrape } from '../http.js';
import { cpuSeconds, rssBytes } from '../proc.js';
import { max, median, percentile } from '../stats.js';
import { startBenchSockeye } from './server.js';

const SERVER_PORTS = 10;
const SERVER_SOURCE = fileURLToPath(new URL('../fixtures/check-server.c', import.meta.url));
const SERVER_BINARY = join(OUT, 'check-server');
// The server answers its commands at once; this only bounds a hung one.
const SERVER_ANSWER_MS = 30_000;

/** Figures of one half of the run. */
export interface CheckHalf {
  seconds: number;
  runsSeen: number;
  runsExpected: number;
  /** p99 of each run's start minus its check's best phase (ms): variation, whatever the constant offset. */
  jitterP99: number;
  jitterMax: number;
  /** p99 and median of start minus the time it was due (the check's phase past the second) (ms). */
  latenessP99: number;
  latenessMedian: number;
  cpuSeconds: number;
  cpuPercent: number;
  /** sockeye's own counters over the half: runs started and finished, and runs skipped because the previous one was still going. */
  runsCounted: number;
  overruns: number;
}

export interface CheckFigures {
  checks: number;
  /** First half: checks alone. Second half: /metrics of the large target scraped once a second as well. */
  quiet: CheckHalf;
  scraped: CheckHalf;
  rss: number;
  scrapes: number;
  passing: number;
  /** How late the check server read requests the kernel had already received (ms, p99 and max): its own share of an arrival stamp. */
  serverDelayP99: number;
  serverDelayMax: number;
}

/** Sum of every series of one metric in an exposition. */
export function sumOf(body: string, metric: string): number {
  let sum = 0;
  for (const m of body.matchAll(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/**
 * Start-time figures from wall-clock arrival times (ms, sub-ms precision) per
 * check. `dueOffset(check)` is when in each period the check is due (its
 * phase); lateness is measured from there.
 */
export function startTimeFigures(arrivals: Record<string, number[]>, periodMs: number, dueOffset: (check: string) => number): { jitter: number[]; lateness: number[]; runs: number } {
  const jitter: number[] = [];
  const lateness: number[] = [];
  let runs = 0;
  for (const [check, times] of Object.entries(arrivals)) {
    if (times.length === 0) continue;
    runs += times.length;
    const t0 = times[0]!;
    // Each run's offset from the check's ideal grid; the best one is its phase.
    const offsets = times.map((t) => t - t0 - Math.round((t - t0) / periodMs) * periodMs);
    const phase = Math.min(...offsets);
    const due = dueOffset(check);
    for (let i = 0; i < times.length; i++) {
      jitter.push(offsets[i]! - phase);
      // Signed, from the nearest due time: a start a hair early (timers round) is not a second late.
      const late = (((times[i]! - due) % periodMs) + periodMs) % periodMs;
      lateness.push(late > periodMs / 2 ? late - periodMs : late);
    }
  }
  return { jitter, lateness, runs };
}

/** The check server, built as the floor is. */
function buildCheckServer(): string {
  return compileC([SERVER_SOURCE], SERVER_BINARY);
}

interface CheckServer {
  ports: number[];
  /** Sends a command; resolves with the server's one-line JSON answer. */
  ask<T>(command: 'record' | 'report'): Promise<T>;
  stop(): void;
}

async function startCheckServer(ports: number): Promise<CheckServer> {
  const child = track(spawn(buildCheckServer(), [String(ports)], { stdio: ['pipe', 'pipe', 'inherit'] })) as ChildProcessWithoutNullStreams;
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const exited = new Promise<never>((_, reject) => child.once('exit', (code, signal) => reject(new Error(`check server exited (${code ?? signal})`))));
  exited.catch(() => undefined); // it exits at the end too, when nobody waits
  const line = async <T>(what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`check server: no answer to ${what} in ${SERVER_ANSWER_MS / 1000} s`)), SERVER_ANSWER_MS)));
    try {
      const r = await Promise.race([lines.next(), timeout, exited]);
      if (r.done) throw new Error(`check server: output ended before answering ${what}`);
      return JSON.parse(r.value) as T;
    } finally {
      clearTimeout(timer);
    }
  };
  const { ports: listening } = await line<{ ports: number[] }>('start');
  return {
    ports: listening,
    ask: <T>(command: 'record' | 'report') => {
      child.stdin.write(`${command}\n`);
      return line<T>(command);
    },
    stop: () => {
      child.stdin.end();
      child.kill('SIGKILL');
    },
  };
}

export async function benchChecks(targetPid: number, checks: number, seconds: number, log: (line: string) => void): Promise<CheckFigures> {
  const server = await startCheckServer(SERVER_PORTS);
  try {
    const { ports } = server;
    const config = {
      checks: Array.from({ length: checks }, (_, i) => ({
        name: `c${i}`,
        every: '1s',
        http: { url: `http://127.0.0.1:${ports[i % ports.length]}/c/c${i}` },
      })),
    };
    const s = await startBenchSockeye(targetPid, config, 'checks');
    try {
      // Let the scheduler settle (first ticks, connection set-up), then record.
      await sleep(3000);
      await server.ask('record');
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      let scrapes = 0;
      let last = '';
      const half = Math.max(1, Math.floor(seconds / 2));
      const halves: Array<{ from: number; to: number; cpu: number; runs: number; overruns: number }> = [];
      const counters = async () => {
        const body = (await scrape(`${s.url}/metrics`, agent)).body;
        return { runs: sumOf(body, 'sockeye_check_runs_total'), overruns: sumOf(body, 'sockeye_check_overruns_total') };
      };
      for (const scraping of [false, true]) {
        const c0 = await counters();
        const from = performance.timeOrigin + performance.now();
        const cpu0 = cpuSeconds(s.pid);
        const t0 = performance.now();
        for (let i = 0; i < half; i++) {
          if (scraping) {
            const r = await scrape(`${s.url}/metrics`, agent);
            if (r.status === 200) {
              scrapes++;
              last = r.body;
            }
          }
          const wait = t0 + (i + 1) * 1000 - performance.now();
          if (wait > 0) await sleep(wait);
        }
        const to = performance.timeOrigin + performance.now();
        const cpu = cpuSeconds(s.pid) - cpu0;
        const c1 = await counters();
        halves.push({ from, to, cpu, runs: c1.runs - c0.runs, overruns: c1.overruns - c0.overruns });
        log(`checks: ${scraping ? 'with' : 'without'} scrapes done`);
      }
      agent.destroy();
      const report = await server.ask<{ arrivals: Array<[string, number]>; delays: number[] }>('report');
      const arrivals: Record<string, number[]> = {};
      for (const [path, at] of report.arrivals) (arrivals[path] ??= []).push(at);
      // Paths are /c/NAME; every check is due at its phase past each second.
      const dueOffset = (path: string) => checkPhaseMs(path.slice('/c/'.length), 1000);
      const figures = ({ from, to, cpu, runs: runsCounted, overruns }: (typeof halves)[number]): CheckHalf => {
        const inHalf = Object.fromEntries(Object.entries(arrivals).map(([k, v]) => [k, v.filter((t) => t >= from && t < to)]));
        const { jitter, lateness, runs } = startTimeFigures(inHalf, 1000, dueOffset);
        const elapsed = (to - from) / 1000;
        return {
          seconds: elapsed,
          runsSeen: runs,
          runsExpected: checks * Math.round(elapsed),
          jitterP99: percentile(jitter, 99),
          jitterMax: max(jitter),
          latenessP99: percentile(lateness, 99),
          latenessMedian: median(lateness),
          cpuSeconds: cpu,
          cpuPercent: (cpu / elapsed) * 100,
          runsCounted,
          overruns,
        };
      };
      const passing = [...last.matchAll(/^sockeye_check_success\{[^}]*\} 1$/gm)].length;
      return { checks, quiet: figures(halves[0]!), scraped: figures(halves[1]!), rss: rssBytes(s.pid), scrapes, passing, serverDelayP99: percentile(report.delays, 99), serverDelayMax: max(report.delays) };
    } finally {
      await s.stop();
    }
  } finally {
    server.stop();
  }
}
