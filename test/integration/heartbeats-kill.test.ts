import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSockeye } from '../support/sockeye.js';

// Heartbeat state must survive kill -9: a ping that got its 200 is on disk,
// and a ping that got a 4xx is nowhere.
const NAMES = ['job-a', 'job-b'] as const;
type Name = (typeof NAMES)[number];
const TOKEN = 'storm-token-1234';
const ROUNDS = 5;
const PINGERS = 8;

const stateDir = mkdtempSync(join(tmpdir(), 'sockeye-kill-'));
afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

const config = {
  targets: [],
  stateDir,
  heartbeats: NAMES.map((name) => ({ name, period: '1h', token: TOKEN })),
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

const onDisk = (name: Name) => JSON.parse(readFileSync(join(stateDir, 'heartbeats', `${name}.json`), 'utf8')).state as { counts: { success: number }; recent: Array<{ body?: string }> };

describe('heartbeat state under kill -9', () => {
  it(`keeps every acknowledged ping and no rejected one across ${ROUNDS} kill -9 while pings arrive`, { timeout: 90_000 }, async () => {
    const sent: Record<Name, number> = { 'job-a': 0, 'job-b': 0 };
    const acked: Record<Name, number> = { 'job-a': 0, 'job-b': 0 };
    const lastAckedBody: Record<Name, string | undefined> = { 'job-a': undefined, 'job-b': undefined };
    let rejected = 0;
    // Request start time of the latest acknowledged ping: the stored timestamp cannot be older.
    const lastAckedAt: Record<Name, number> = { 'job-a': 0, 'job-b': 0 };
    const check = async (url: string) => {
      const s = await stored(url);
      for (const name of NAMES) {
        expect(s[name].count, `${name}: stored count vs acknowledged ${acked[name]}, sent ${sent[name]}`).toBeGreaterThanOrEqual(acked[name]);
        expect(s[name].count).toBeLessThanOrEqual(sent[name]);
        if (acked[name] > 0) expect((s[name].last ?? 0) * 1000).toBeGreaterThanOrEqual(lastAckedAt[name]);
        const disk = onDisk(name);
        expect(disk.counts.success).toBe(s[name].count);
        const bodies = disk.recent.map((r) => r.body ?? '');
        expect(bodies.filter((b) => b.startsWith('rejected'))).toEqual([]);
      }
    };

    let seq = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const s = await startSockeye({ config });
      await check(s.url);
      let stop = false;
      let ackedThisRound = 0;
      const pinger = async (i: number) => {
        for (let n = 0; !stop; n++) {
          const name = NAMES[(i + n) % NAMES.length]!;
          const id = ++seq;
          const t0 = Date.now();
          // One in four is refused: a wrong token, a run id that is not a UUID, an unknown action.
          const bad = n % 4 === 3 ? (['token', 'rid', 'action'] as const)[id % 3]! : undefined;
          const url = `${s.url}/ping/${name}${bad === 'action' ? '/restart' : ''}${bad === 'rid' ? '?rid=not-a-uuid' : ''}`;
          const body = `${bad ? 'rejected' : 'ok'} ${id}`;
          if (!bad) sent[name]++;
          let status: number | undefined;
          let text = '';
          try {
            const res = await fetch(url, { method: 'POST', body, headers: { authorization: `Bearer ${bad === 'token' ? 'wrong-token-123' : TOKEN}` }, signal: AbortSignal.timeout(3000) });
            status = res.status;
            text = await res.text();
          } catch {
            // killed mid-request: sent, not acknowledged
            continue;
          }
          if (bad) {
            expect(status, `${bad} ping`).toBeGreaterThanOrEqual(400);
            rejected++;
          } else if (status === 200 && text === 'OK') {
            acked[name]++;
            ackedThisRound++;
            lastAckedAt[name] = Math.max(lastAckedAt[name], t0);
            lastAckedBody[name] = body;
          }
        }
      };
      const pingers = Array.from({ length: PINGERS }, (_, i) => pinger(i));
      const deadline = Date.now() + 15_000;
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
      // The test really acknowledged pings and had pings refused across kills.
      expect(acked['job-a'] + acked['job-b']).toBeGreaterThan(ROUNDS * 40);
      expect(rejected).toBeGreaterThan(ROUNDS * 5);
      // Killed mid-write leaves no temporary file once sockeye is back.
      expect(readdirSync(join(stateDir, 'heartbeats')).filter((f) => f.includes('.tmp-'))).toEqual([]);
    } finally {
      await last.stop();
    }
    // The last acknowledged body of each heartbeat is among its kept pings (pings sent after it may have landed too).
    for (const name of NAMES) {
      const bodies = onDisk(name).recent.map((r) => r.body);
      const lastAckedSeq = Number(lastAckedBody[name]!.split(' ')[1]);
      const keptSeqs = bodies.filter((b): b is string => b?.startsWith('ok') ?? false).map((b) => Number(b.split(' ')[1]));
      expect(Math.max(...keptSeqs)).toBeGreaterThanOrEqual(lastAckedSeq);
    }
  });
});
