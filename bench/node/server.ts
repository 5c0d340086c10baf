// Real sockeye servers (the built dist/main.js) scraped as Prometheus would:
// one node agent (mode: node) watching every pod, and beside it three
// sidecars, each watching one pod's processes, all scraped on the same
// interval. Per server: its scrape time, CPU seconds per interval (from
// /proc, so whatever it does between scrapes counts), RSS, and the worst
// /readyz latency while it collected (its event loop held, seen from outside).
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigInput } from '../../src/config/schema.js';
import type { Sockeye } from '../../test/support/sockeye.js';
import { scrape } from '../http.js';
import { cpuSeconds, rssAnonBytes, rssBytes } from '../proc.js';
import { max, median } from '../stats.js';
import { startConfiguredSockeye } from '../sockeye/server.js';

/** Every container a target, the fixture's only: processes outside pods (other work on the machine) are left out. */
export const NODE_CONFIG = { mode: 'node', node: { maxContainers: 10_000, outsidePods: 'exclude' } } satisfies ConfigInput;

export interface ServerFigures {
  label: string;
  /** Median ms of the interval's scrapes. */
  scrapeMs: number;
  /** Median CPU seconds (user + system) per interval, one scrape each. */
  cpuPerInterval: number;
  /** RSS right after the server was ready, before any scrape. */
  rssBefore: number;
  /** RSS after the last scrape, and the most seen after any. */
  rss: number;
  rssMax: number;
  rssAnon: number;
  bytes: number;
  /** Series in the last exposition (lines that are not comments). */
  series: number;
  /** Worst /readyz latency over the whole run. */
  readyzMax: number;
  failures: number;
}

const READYZ_EVERY_MS = 50;

function seriesIn(body: string): number {
  let n = 0;
  for (const line of body.split('\n')) if (line !== '' && line[0] !== '#') n++;
  return n;
}

/**
 * Starts the servers, scrapes each once per `intervalMs` for `scrapes`
 * intervals (the servers one after another within an interval, so no two
 * collect at once on the shared cores), and stops them.
 */
export async function scrapeOnInterval(configs: Array<{ label: string; config: ConfigInput }>, scrapes: number, intervalMs: number, log: (line: string) => void): Promise<ServerFigures[]> {
  const servers: Sockeye[] = [];
  const agents: http.Agent[] = [];
  let polling = true;
  const pollers: Promise<void>[] = [];
  try {
    for (const { label, config } of configs) servers.push(await startConfiguredSockeye(config, label));
    const state = servers.map((s, i) => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
      agents.push(agent);
      return { s, label: configs[i]!.label, agent, rssBefore: rssBytes(s.pid), samples: [] as number[], cpu: [] as number[], rss: [] as number[], last: '', bytes: 0, readyz: [] as number[], failures: 0 };
    });
    for (const st of state) {
      pollers.push(
        (async () => {
          while (polling) {
            try {
              st.readyz.push((await scrape(`${st.s.url}/readyz`, st.agent)).ms);
            } catch {
              st.failures++;
            }
            await sleep(READYZ_EVERY_MS);
          }
        })(),
      );
    }
    const start = performance.now();
    let cpuAt = state.map((st) => cpuSeconds(st.s.pid));
    // The first scrape warms up (JIT, first reads), then `scrapes` on the interval.
    for (let i = -1; i < scrapes; i++) {
      for (const st of state) {
        const r = await scrape(`${st.s.url}/metrics`, st.agent);
        if (r.status !== 200) st.failures++;
        if (i >= 0) st.samples.push(r.ms);
        st.last = r.body;
        st.bytes = r.bytes;
        st.rss.push(rssBytes(st.s.pid));
      }
      const wait = start + (i + 2) * intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      const now = state.map((st) => cpuSeconds(st.s.pid));
      if (i >= 0) state.forEach((st, k) => st.cpu.push(now[k]! - cpuAt[k]!));
      cpuAt = now;
      log(`servers: interval ${i + 2}/${scrapes + 1}: ${state.map((st) => `${st.label} ${(st.rss.at(-1)! / 2 ** 20).toFixed(1)} MiB`).join(', ')}`);
    }
    polling = false;
    await Promise.all(pollers);
    return state.map((st) => ({
      label: st.label,
      scrapeMs: median(st.samples),
      cpuPerInterval: median(st.cpu),
      rssBefore: st.rssBefore,
      rss: st.rss.at(-1)!,
      rssMax: max(st.rss),
      rssAnon: rssAnonBytes(st.s.pid),
      bytes: st.bytes,
      series: seriesIn(st.last),
      readyzMax: max(st.readyz),
      failures: st.failures,
    }));
  } finally {
    polling = false;
    await Promise.all(pollers);
    for (const a of agents) a.destroy();
    await Promise.all(servers.map((s) => s.stop()));
  }
}
