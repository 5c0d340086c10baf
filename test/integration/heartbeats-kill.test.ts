import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSockeye } from '../support/sockeye.js';

// Heartbeat state must survive kill -9: a ping that got its 200 is on disk.
const NAMES = ['job-a', 'job-b'] as const;
type Name = (typeof NAMES)[number];
const ROUNDS = 5;
const PINGERS = 8;

const stateDir = mkdtempSync(join(tmpdir(), 'sockeye-kill-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const config = {
  targets: [],
  stateDir,
  heartbeats: NAMES.map((name) => ({ name, period: '1h' })),
};

function sample(metrics: string, metric: string, labels: string): number | undefined {
  const line = metrics.split('\n').find((l) => l.startsWith(`${metric}{${labels}} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function stored(url: string): Promise<Record<Name, { count: number; last: number | undefined }>> {
  const m = await (await fetch(`${url}/metrics`)).text();
  const out = {} as Record<Name, { count: number; last: number | undefined }>;
  for (const name of NAMES) {
    out[name] = {
      count: sample(m, 'sockeye_heartbeat_pings_total', `heartbeat="${name}",kind="success"`) ?? NaN,
      last: sample(m, 'sockeye_heartbeat_last_ping_timestamp_seconds', `heartbeat="${name}",kind="success"`),
    };
  }
  return out;
}

describe('heartbeat state under kill -9', () => {
  it(`keeps every acknowledged ping across ${ROUNDS} kill -9 while pings arrive`, { timeout: 60_000 }, async () => {
    const sent: Record<Name, number> = { 'job-a': 0, 'job-b': 0 };
    const acked: Record<Name, number> = { 'job-a': 0, 'job-b': 0 };
    // Request start time of the latest acknowledged ping: the stored timestamp cannot be older.
    const lastAckedAt: Record<Name, number> = { 'job-a': 0, 'job-b': 0 };
    const check = async (url: string) => {
      const s = await stored(url);
      for (const name of NAMES) {
        expect(s[name].count, `${name}: stored count vs acknowledged ${acked[name]}, sent ${sent[name]}`).toBeGreaterThanOrEqual(acked[name]);
        expect(s[name].count).toBeLessThanOrEqual(sent[name]);
        if (acked[name] > 0) expect((s[name].last ?? 0) * 1000).toBeGreaterThanOrEqual(lastAckedAt[name]);
      }
    };

    for (let round = 0; round < ROUNDS; round++) {
      const s = await startSockeye({ config });
      await check(s.url);
      let stop = false;
      let ackedThisRound = 0;
      const pinger = async (i: number) => {
        for (let n = 0; !stop; n++) {
          const name = NAMES[(i + n) % NAMES.length]!;
          const t0 = Date.now();
          sent[name]++;
          try {
            const res = await fetch(`${s.url}/ping/${name}`, { method: n % 2 ? 'POST' : 'GET', body: n % 2 ? `run ${n}` : undefined, signal: AbortSignal.timeout(3000) });
            const text = await res.text();
            if (res.status === 200 && text === 'OK') {
              acked[name]++;
              ackedThisRound++;
              lastAckedAt[name] = Math.max(lastAckedAt[name], t0);
            }
          } catch {
            // killed mid-request: sent, not acknowledged
          }
        }
      };
      const pingers = Array.from({ length: PINGERS }, (_, i) => pinger(i));
      const deadline = Date.now() + 10_000;
      while (ackedThisRound < 40 + round * 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
      expect(ackedThisRound).toBeGreaterThan(0);
      process.kill(s.pid, 'SIGKILL');
      const exit = await s.exited;
      expect(exit.signal).toBe('SIGKILL');
      stop = true;
      await Promise.all(pingers);
      await s.stop();
    }

    const last = await startSockeye({ config });
    try {
      await check(last.url);
      // The test really acknowledged and lost pings across kills.
      expect(acked['job-a'] + acked['job-b']).toBeGreaterThan(ROUNDS * 40);
    } finally {
      await last.stop();
    }
  });
});
