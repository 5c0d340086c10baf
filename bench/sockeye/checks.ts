// 500 http checks every second against a local server, for a while, with
// /metrics scraped once a second at the same time: do scrapes of a large
// target delay the checks? Start times are seen from the server, by arrival.
import { fork, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { track } from '../cleanup.js';
import { scrape } from '../http.js';
import { cpuSeconds, rssBytes } from '../proc.js';
import { max, median, percentile } from '../stats.js';
import { startBenchSockeye } from './server.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const SERVER_PORTS = 10;

export interface CheckFigures {
  checks: number;
  seconds: number;
  runsSeen: number;
  runsExpected: number;
  /** p99 of each run's start minus its check's best phase (ms): variation, whatever the constant offset. */
  jitterP99: number;
  jitterMax: number;
  /** p99 of start minus the wall-clock second the scheduler ticks on (ms). */
  latenessP99: number;
  latenessMedian: number;
  cpuSeconds: number;
  cpuPercent: number;
  rss: number;
  scrapes: number;
  passing: number;
}

function message<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string }) => {
      if (m.type === type) {
        child.off('message', onMessage);
        resolve(m as T);
      }
    };
    child.on('message', onMessage);
    child.once('exit', (code) => reject(new Error(`check server exited (${code})`)));
  });
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
  const server = track(fork(join(here, '..', 'fixtures', 'check-server.ts'), [String(SERVER_PORTS)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  try {
    const { ports } = await message<{ ports: number[] }>(server, 'listening');
    const config = {
      checks: Array.from({ length: checks }, (_, i) => ({
        name: `c${i}`,
        every: '1s',
        http: { url: `http://127.0.0.1:${ports[i % ports.length]}/c/c${i}` },
      })),
    };
    const s = await startBenchSockeye(targetPid, config);
    try {
      // Let the scheduler settle (first ticks, connection set-up), then record.
      await sleep(3000);
      server.send({ type: 'record' });
      await message(server, 'recording');
      const cpu0 = cpuSeconds(s.pid);
      const t0 = performance.now();
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      let scrapes = 0;
      let last = '';
      for (let i = 0; i < seconds; i++) {
        const r = await scrape(`${s.url}/metrics`, agent);
        if (r.status === 200) {
          scrapes++;
          last = r.body;
        }
        if (i > 0 && i % 20 === 0) log(`checks: ${i}/${seconds} s`);
        const wait = t0 + (i + 1) * 1000 - performance.now();
        if (wait > 0) await sleep(wait);
      }
      agent.destroy();
      const elapsed = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds(s.pid) - cpu0;
      server.send({ type: 'report' });
      const { arrivals } = await message<{ arrivals: Record<string, number[]> }>(server, 'report');
      const { jitter, lateness, runs } = startTimeFigures(arrivals, 1000);
      const passing = [...last.matchAll(/^sockeye_check_success\{[^}]*\} 1$/gm)].length;
      return {
        checks,
        seconds,
        runsSeen: runs,
        runsExpected: checks * Math.floor(elapsed),
        jitterP99: percentile(jitter, 99),
        jitterMax: max(jitter),
        latenessP99: percentile(lateness, 99),
        latenessMedian: median(lateness),
        cpuSeconds: cpu,
        cpuPercent: (cpu / elapsed) * 100,
        rss: rssBytes(s.pid),
        scrapes,
        passing,
      };
    } finally {
      await s.stop();
    }
  } finally {
    server.kill('SIGKILL');
  }
}
