// Timed HTTP scrapes, the way Prometheus does them: keep-alive, whole body read.
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

const SCRAPE_TIMEOUT_MS = 30_000;

export interface Scrape {
  ms: number;
  status: number;
  bytes: number;
  body: string;
}

export function scrape(url: string, agent: http.Agent): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(url, { agent, timeout: SCRAPE_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ ms: performance.now() - t0, status: res.statusCode ?? 0, bytes: body.length, body: body.toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${url}: no answer in ${SCRAPE_TIMEOUT_MS / 1000} s`)));
    req.on('error', reject);
  });
}

/** Scrapes `warmup` times untimed, then `reps` times one after another; throws on a non-200. */
export async function timeScrapes(url: string, reps: number, warmup: number): Promise<{ samples: number[]; last: Scrape }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    let last: Scrape | undefined;
    const samples: number[] = [];
    for (let i = -warmup; i < reps; i++) {
      last = await scrape(url, agent);
      if (last.status !== 200) throw new Error(`${url}: HTTP ${last.status}: ${last.body.slice(0, 300)}`);
      if (i >= 0) samples.push(last.ms);
    }
    return { samples, last: last! };
  } finally {
    agent.destroy();
  }
}

/** Polls until the URL answers 200, or throws after timeoutMs. */
export async function waitHttp(url: string, timeoutMs: number, gone: () => boolean = () => false): Promise<void> {
  const agent = new http.Agent();
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (gone()) throw new Error(`${url}: the process exited before it answered`);
      try {
        if ((await scrape(url, agent)).status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`${url}: no answer within ${timeoutMs} ms`);
      await sleep(50);
    }
  } finally {
    agent.destroy();
  }
}
