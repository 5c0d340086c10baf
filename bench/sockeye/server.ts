// A real sockeye (the built dist/main.js) watching one fixture target, for the
// HTTP figures: scrape latency, concurrent scrapers, memory over time, checks.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { shippedLaunch } from '../../test/support/launch.js';
import { startSockeye, type Sockeye } from '../../test/support/sockeye.js';
import { track } from '../cleanup.js';
import { scrape, timeScrapes } from '../http.js';
import { cpuSeconds, rssAnonBytes, rssBytes } from '../proc.js';
import { max, median, percentile } from '../stats.js';

let profileDir: string | undefined;
const PRELOAD = new URL('./cpu-prof.mjs', import.meta.url).href;

/** With a directory, every sockeye started from now on writes a CPU profile of its main thread there when it exits. */
export function profileSockeyeInto(dir: string | undefined): void {
  profileDir = dir;
}

/**
 * How sockeye ships (package.json's start script: malloc env and node flags;
 * the image carries the same), so the benchmark measures what users run.
 * BENCH_LAUNCH=plain starts a bare `node dist/main.js` instead, for paired
 * before/after runs of those settings.
 */
export const SHIPPED = shippedLaunch();
const LAUNCH = process.env.BENCH_LAUNCH === 'plain' ? { env: {}, nodeFlags: [] } : SHIPPED;

export async function startBenchSockeye(pid: number, extra: Record<string, unknown> = {}, label = 'sockeye'): Promise<Sockeye> {
  return startConfiguredSockeye({ targets: [{ name: 'bench', match: { pid } }], ...extra }, label);
}

/** startBenchSockeye with any configuration (node mode, for one); logLevel warn unless it says otherwise. */
export async function startConfiguredSockeye(config: object, label = 'sockeye'): Promise<Sockeye> {
  const nodeOptions = [...LAUNCH.nodeFlags, ...(profileDir ? [`--import=${PRELOAD}`] : [])].join(' ');
  const s = await startSockeye({
    config: { logLevel: 'warn', ...config },
    readyTimeoutMs: 30_000,
    // SOCKEYE_NATIVE=0 npm run bench… means the servers too (startSockeye passes on no SOCKEYE_* of ours by itself).
    env: { ...LAUNCH.env, ...(process.env.SOCKEYE_NATIVE === undefined ? {} : { SOCKEYE_NATIVE: process.env.SOCKEYE_NATIVE }), NODE_OPTIONS: nodeOptions, ...(profileDir ? { BENCH_CPU_PROF_DIR: `${profileDir}/${label}` } : {}) },
  });
  track(s.proc);
  return s;
}

/** The bench target's open-fd count as sockeye reported it: proof the scrape did the work. */
export function reportedFds(body: string): number | undefined {
  const m = /^sockeye_process_open_fds\{target="bench"\} (\S+)/m.exec(body);
  return m ? Number(m[1]) : undefined;
}

export interface ScrapeFigures {
  median: number;
  samples: number[];
  bytes: number;
  openFds: number | undefined;
  /** RSS before the first scrape (started, nothing collected yet) and after the timed scrapes. */
  rssBefore: number;
  rss: number;
  /** RssAnon after the timed scrapes: RSS without the node binary's shared file pages. */
  rssAnon: number;
  /** RSS 10 s after the timed scrapes, nothing asked meanwhile: what V8 and glibc give back once the burst is over. */
  rssSettled: number;
  /** Worst /readyz latency seen while scrapes ran: the server's event loop blocking, seen from outside. */
  readyzMax: number;
  readyzMedian: number;
}

/**
 * Times sequential /metrics scrapes while another client polls /readyz every
 * few ms: a scrape that blocks sockeye's event loop shows up as a slow /readyz.
 */
/** How long after a burst of scrapes the settled RSS is read (V8's memory reducer acts within a few seconds of quiet). */
const SETTLE_MS = 10_000;

export async function timeSockeyeScrapes(s: Sockeye, reps: number, warmup: number): Promise<ScrapeFigures> {
  const rssBefore = rssBytes(s.pid);
  let polling = true;
  const readyz: number[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const poller = (async () => {
    while (polling) {
      readyz.push((await scrape(`${s.url}/readyz`, agent)).ms);
      await sleep(5);
    }
  })();
  try {
    const { samples, last } = await timeScrapes(`${s.url}/metrics`, reps, warmup);
    const rss = rssBytes(s.pid);
    const rssAnon = rssAnonBytes(s.pid);
    polling = false;
    await poller;
    await sleep(SETTLE_MS);
    return { median: median(samples), samples, bytes: last.bytes, openFds: reportedFds(last.body), rssBefore, rss, rssAnon, rssSettled: rssBytes(s.pid), readyzMax: max(readyz), readyzMedian: median(readyz) };
  } finally {
    polling = false;
    await poller;
    agent.destroy();
  }
}

export interface ConcurrentFigures {
  scrapers: number;
  rounds: number;
  p99: number;
  median: number;
  max: number;
  failures: number;
}

/** `scrapers` clients scrape at the same instant, `rounds` times: p99 over every scrape. */
export async function timeConcurrentScrapes(s: Sockeye, scrapers: number, rounds: number): Promise<ConcurrentFigures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: scrapers });
  const all: number[] = [];
  let failures = 0;
  try {
    for (let r = 0; r < rounds; r++) {
      const results = await Promise.allSettled(Array.from({ length: scrapers }, () => scrape(`${s.url}/metrics`, agent)));
      for (const res of results) {
        if (res.status === 'fulfilled' && res.value.status === 200) all.push(res.value.ms);
        else failures++;
      }
    }
  } finally {
    agent.destroy();
  }
  return { scrapers, rounds, p99: percentile(all, 99), median: median(all), max: max(all), failures };
}

export interface SoakFigures {
  seconds: number;
  windowSeconds: number;
  /** RSS samples (bytes), one per second */
  rss: number[];
  firstMedian: number;
  lastMedian: number;
  firstMax: number;
  lastMax: number;
  scrapes: number;
  failures: number;
}

/** One scrape per second for `seconds`; RSS sampled after each. Compares the first and last window. */
export async function soak(s: Sockeye, seconds: number, progress: (line: string) => void): Promise<SoakFigures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const rss: number[] = [];
  let failures = 0;
  const start = performance.now();
  try {
    for (let i = 0; i < seconds; i++) {
      try {
        if ((await scrape(`${s.url}/metrics`, agent)).status !== 200) failures++;
      } catch {
        failures++;
      }
      rss.push(rssBytes(s.pid));
      if (i > 0 && i % 60 === 0) progress(`soak: ${i}/${seconds} s, RSS ${(rss.at(-1)! / 1048576).toFixed(1)} MiB`);
      // Keep to a 1 s cadence whatever the scrape took.
      const wait = start + (i + 1) * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
    }
  } finally {
    agent.destroy();
  }
  const windowSeconds = Math.min(60, Math.max(1, Math.floor(seconds / 3)));
  const first = rss.slice(0, windowSeconds);
  const last = rss.slice(-windowSeconds);
  return { seconds, windowSeconds, rss, firstMedian: median(first), lastMedian: median(last), firstMax: max(first), lastMax: max(last), scrapes: rss.length, failures };
}

export { cpuSeconds, rssBytes };
