// Starts a peer exporter binary on a free loopback port and times its scrapes.
import { spawn, spawnSync } from 'node:child_process';
import { freePort } from '../../test/support/sockeye.js';
import { track } from '../cleanup.js';
import { timeScrapes, waitHttp } from '../http.js';
import { cpuSeconds, rssBytes } from '../proc.js';
import { median, ms } from '../stats.js';

export interface PeerTiming {
  name: string;
  /** median ms, or undefined when skipped */
  ms?: number;
  samples?: number[];
  skipped?: string;
  note?: string;
  /** The exporter's RSS after its timed scrapes (bytes). */
  rss?: number;
  /** Its CPU time (user + system) per timed scrape, seconds, from /proc. */
  cpuPerScrape?: number;
}

/** A peer's median scrape for a report: "skipped", or "n/a" when it was not run. */
export function peerText(p: PeerTiming | undefined): string {
  return p === undefined ? 'n/a' : p.skipped ? 'skipped' : ms(p.ms!);
}

export function installed(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

export function skipped(name: string, command: string, pkg: string): PeerTiming {
  return { name, skipped: `${command} is not installed; install it with: sudo apt-get install ${pkg}` };
}

/**
 * Runs `command` with the listen address appended by `args(port)`, waits for
 * its /metrics, scrapes reps times, and stops it. `check` sees the last body
 * and returns a note (e.g. that the matcher found the process).
 */
export async function timeExporter(
  name: string,
  command: string,
  args: (listen: string) => string[],
  reps: number,
  warmup: number,
  check: (body: string) => string,
): Promise<PeerTiming> {
  const port = await freePort();
  const child = track(spawn(command, args(`127.0.0.1:${port}`), { stdio: ['ignore', 'ignore', 'pipe'] }));
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4000)));
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    const url = `http://127.0.0.1:${port}/metrics`;
    try {
      await waitHttp(url, 15_000, () => exited);
    } catch (err) {
      throw new Error(`${name}: ${(err as Error).message}\n${stderr}`);
    }
    // Warm-up outside the CPU count, so the figure is per steady-state scrape.
    if (warmup > 0) await timeScrapes(url, 0, warmup);
    const cpu0 = cpuSeconds(child.pid!);
    const { samples, last } = await timeScrapes(url, reps, 0);
    const cpuPerScrape = (cpuSeconds(child.pid!) - cpu0) / reps;
    return { name, ms: median(samples), samples, note: check(last.body), rss: rssBytes(child.pid!), cpuPerScrape };
  } finally {
    child.kill('SIGKILL');
  }
}
