// 500 http checks every second against a local server: half of the time
// alone, half with /metrics of the large target scraped once a second — do
// scrapes delay the checks? Start times are seen from the server, by arrival.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { next, startFixture } from '../fixtures/index.js';
import { scrape } from '../http.js';
import { cpuSeconds, rssBytes } from '../proc.js';
import { max, median, percentile } from '../stats.js';
import { startBenchSockeye } from './server.js';

const SERVER_PORTS = 10;

/** Figures of one half of the run. */
export interface CheckHalf {
  seconds: number;
  runsSeen: number;
  runsExpected: number;
  /** p99 of each run's start minus its check's best phase (ms): variation, whatever the constant offset. */
  jitterP99: number;
  jitterMax: number;
  /** p99 and median of start minus the wall-clock second the scheduler ticks on (ms). */
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
  /** The check server's own worst event-loop delay (ms): how late it may have recorded an arrival. */
  serverLoopDelayMax: number;
}

/** Sum of every series of one metric in an exposition. */
export function sumOf(body: string, metric: string): number {
  let sum = 0;
  for (const m of body.matchAll(new RegExp(`^${metric}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) sum += Number(m[1]);
  return sum;
}

/** Start-time figures from wall-clock arrival times (ms, sub-ms precision) per check. */
export function startTimeFigures(arrivals: Record<string, number[]>, periodMs: number): { jitter: number[]; lateness: number[]; runs: number } {
  const jitter: number[] = [];
  const lateness: number[] = [];
  let runs = 0;
  for (const times of Object.values(arrivals)) {
    if (times.length === 0) continue;
    runs += times.length;
    const t0 = times[0]!;
    // Each run's offset from the check's ideal grid; the best one is its phase.
    const offsets = times.map((t) => t - t0 - Math.round((t - t0) / periodMs) * periodMs);
    const phase = Math.min(...offsets);
    for (let i = 0; i < times.length; i++) {
      jitter.push(offsets[i]! - phase);
      lateness.push(times[i]! % periodMs);
    }
  }
  return { jitter, lateness, runs };
}

export async function benchChecks(targetPid: number, checks: number, seconds: number, log: (line: string) => void): Promise<CheckFigures> {
  const server = startFixture('check-server.ts', [String(SERVER_PORTS)]);
  try {
    const { ports } = await next<{ type: string; ports: number[] }>(server, 'check server', (m) => m.type === 'listening');
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
      server.send({ type: 'record' });
      await next(server, 'check server', (m) => m.type === 'recording');
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
      server.send({ type: 'report' });
      const { arrivals, loopDelayMaxMs } = await next<{ type: string; arrivals: Record<string, number[]>; loopDelayMaxMs: number }>(server, 'check server', (m) => m.type === 'report');
      const figures = ({ from, to, cpu, runs: runsCounted, overruns }: (typeof halves)[number]): CheckHalf => {
        const inHalf = Object.fromEntries(Object.entries(arrivals).map(([k, v]) => [k, v.filter((t) => t >= from && t < to)]));
        const { jitter, lateness, runs } = startTimeFigures(inHalf, 1000);
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
      return { checks, quiet: figures(halves[0]!), scraped: figures(halves[1]!), rss: rssBytes(s.pid), scrapes, passing, serverLoopDelayMax: loopDelayMaxMs };
    } finally {
      await s.stop();
    }
  } finally {
    server.kill('SIGKILL');
  }
}
