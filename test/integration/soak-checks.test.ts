import { readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CheckRunner, type RunResult } from '../../src/checks/runner.js';
import { FAILURE_REASONS as REASONS } from '../../src/checks/types.js';
import type { CheckConfig } from '../../src/config/checks.js';
import { startHostileServers, type HostileServers } from './checks-servers.js';
import { checkFrom, metricValue, newRegistry, openFds } from './checks-support.js';
import { captureLogger } from '../support/collection.js';
import { startSockeye } from '../support/sockeye.js';

// The incident: a checker that leaked a socket per check until it hit its fd
// limit and silently stopped checking. Thousands of checks against hostile
// servers must leave sockeye's own fd count where it started.
const RUNS = 2_200;
const CONCURRENCY = 64;
const FD_SLACK = 5;
// The same servers through a real sockeye process and its scheduler.
const PROCESS_RUNS = 1_000;

let srv: HostileServers;
beforeAll(async () => {
  srv = await startHostileServers();
});
afterAll(async () => {
  await srv?.stop();
});

interface Hostile {
  check: CheckConfig;
  reason: string | null;
  /** Relative share of the runs. */
  weight: number;
}

function hostiles(): Hostile[] {
  const p = srv.ports;
  const ca = srv.certs.caFile;
  const T = '250ms';
  const h = (name: string, body: Record<string, unknown>, reason: string | null, weight = 10): Hostile => ({ check: checkFrom(name, body), reason, weight });
  return [
    h('refused', { http: { url: `http://127.0.0.1:${p.refused}/` } }, 'refused'),
    h('accept-never-answer', { timeout: T, http: { url: `http://127.0.0.1:${p.silent}/` } }, 'timeout'),
    h('headers-then-stall', { timeout: T, http: { url: `http://127.0.0.1:${p.headersStall}/` } }, 'timeout'),
    h('reset-mid-body', { http: { url: `http://127.0.0.1:${p.resetMidBody}/` } }, 'reset'),
    h('tls-5mb-get-capped', { http: { url: `https://127.0.0.1:${p.https}/big`, caFile: ca, maxBodyBytes: 65536 } }, 'body'),
    // The incident's trigger: GET with a large body over TLS, read to the end.
    h('tls-5mb-get-read', { timeout: '9s', http: { url: `https://127.0.0.1:${p.https}/big`, caFile: ca, maxBodyBytes: 6_000_000 } }, null, 1),
    h('tls-handshake-never-completes', { timeout: T, tls: { address: `127.0.0.1:${p.silent}` } }, 'timeout'),
    h('tls-expired', { tls: { address: `127.0.0.1:${p.expired}`, caFile: ca, serverName: 'localhost' } }, 'tls'),
    h('tls-wrong-hostname', { tls: { address: `127.0.0.1:${p.wrongHost}`, caFile: ca, serverName: 'localhost' } }, 'tls'),
    h('https-expired', { http: { url: `https://localhost:${p.expired}/health`, caFile: ca } }, 'tls'),
    h('https-wrong-hostname', { http: { url: `https://127.0.0.1:${p.wrongHost}/health`, caFile: ca, serverName: 'localhost' } }, 'tls'),
    h('tcp-expect-eof', { tcp: { address: `127.0.0.1:${p.wrongGreeting}`, conversation: [{ expect: 'PLSAUTH' }] } }, 'expect'),
    h('tcp-silent', { timeout: T, tcp: { address: `127.0.0.1:${p.silent}`, conversation: [{ expect: 'PLSAUTH' }] } }, 'timeout'),
    h('http-status', { http: { url: `http://127.0.0.1:${p.http}/error` } }, 'status'),
    h('tcp-party-ok', { tcp: { address: `127.0.0.1:${p.party}`, conversation: [{ expect: 'PLSAUTH' }, { send: 'RING\\r\\n' }, { expect: 'AHOY-HOY' }] } }, null),
  ];
}

/** Spread RUNS over the hostiles by weight, interleaved so every kind overlaps every other. */
function schedule(list: Hostile[]): Hostile[] {
  const total = list.reduce((s, h) => s + h.weight, 0);
  const out: Hostile[] = [];
  const counts = list.map((h) => Math.max(1, Math.round((RUNS * h.weight) / total)));
  for (let round = 0; out.length < RUNS || counts.some((c) => c > 0); round++) {
    list.forEach((h, i) => {
      if (counts[i]! > 0) {
        counts[i]!--;
        out.push(h);
      }
    });
    if (round > RUNS) break;
  }
  return out;
}

async function settleFds(baseline: number): Promise<number> {
  // Destroyed sockets close on the next turns of the event loop; give them a moment.
  const deadline = Date.now() + 3000;
  let n = openFds();
  while (n > baseline + FD_SLACK && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    n = openFds();
  }
  return n;
}

describe('soak: the checker does not leak', () => {
  it(`runs at least 2,000 checks against hostile servers; every failure has the right reason and /proc/self/fd returns to baseline`, { timeout: 50_000 }, async () => {
    const list = hostiles();
    const registry = newRegistry();
    const log = captureLogger();
    const runner = new CheckRunner(
      list.map((h) => h.check),
      registry,
      log,
    );
    // Warm-up: one run of each, so lazily created things (CA cache, TLS
    // contexts, timers) are in the baseline and not counted as a leak.
    for (const h of list) await runner.run(h.check);
    const baseline = await settleFds(openFds());

    const jobs = schedule(list);
    expect(jobs.length).toBeGreaterThanOrEqual(2000);
    const wrong: string[] = [];
    let next = 0;
    let peak = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const h = jobs[next++]!;
        const r: RunResult | undefined = await runner.run(h.check);
        peak = Math.max(peak, openFds());
        const got = r === undefined ? 'aborted' : (r.reason ?? null);
        if (got !== h.reason) wrong.push(`${h.check.name}: expected ${h.reason ?? 'success'}, got ${got ?? 'success'} (${r?.message ?? ''})`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(wrong.slice(0, 10), `${wrong.length} runs with a wrong reason`).toEqual([]);
    // The runs really had sockets open at once (the fd count is not trivially flat).
    expect(peak).toBeGreaterThan(baseline + CONCURRENCY / 4);
    const after = await settleFds(baseline);
    expect(after, `fds: baseline ${baseline}, peak ${peak}, after ${after}`).toBeLessThanOrEqual(baseline + FD_SLACK);

    // The metrics agree with what the runs returned.
    for (const h of list) {
      const n = jobs.filter((j) => j === h).length + 1; // + warm-up
      const result = h.reason === null ? 'success' : 'failure';
      expect(await metricValue(registry, 'sockeye_check_runs_total', { check: h.check.name, result }), h.check.name).toBe(n);
      if (h.reason) expect(await metricValue(registry, 'sockeye_check_failures_total', { check: h.check.name, reason: h.reason }), h.check.name).toBe(n);
    }
  });
});

describe('soak: the sockeye process under its own scheduler', () => {
  it('runs 1,000+ scheduled checks against hostile servers (the 2,000+ above run in-process); its /proc/PID/fd count returns to baseline', { timeout: 45_000 }, async () => {
    const p = srv.ports;
    const ca = srv.certs.caFile;
    // Every kind but the 5 MB full read (too slow at this rate). The timeout
    // leaves room for a loaded machine: a slow answer must not pass for a hang.
    // [kind, check body, expected reason, how many checks of the kind]
    const kinds: Array<[string, Record<string, unknown>, string | null, number?]> = [
      ['refused', { http: { url: `http://127.0.0.1:${p.refused}/` } }, 'refused'],
      ['hang', { http: { url: `http://127.0.0.1:${p.silent}/` } }, 'timeout'],
      ['stall', { http: { url: `http://127.0.0.1:${p.headersStall}/` } }, 'timeout'],
      ['reset', { http: { url: `http://127.0.0.1:${p.resetMidBody}/` } }, 'reset'],
      // 5 MB over TLS per run: a few, less often, or the server side alone would eat the CPU.
      ['big', { every: '5s', timeout: '4500ms', http: { url: `https://127.0.0.1:${p.https}/big`, caFile: ca, maxBodyBytes: 65536 } }, 'body', 5],
      ['handshake', { tls: { address: `127.0.0.1:${p.silent}` } }, 'timeout'],
      ['expired', { tls: { address: `127.0.0.1:${p.expired}`, caFile: ca, serverName: 'localhost' } }, 'tls'],
      ['wronghost', { tls: { address: `127.0.0.1:${p.wrongHost}`, caFile: ca, serverName: 'localhost' } }, 'tls'],
      ['party', { tcp: { address: `127.0.0.1:${p.party}`, conversation: [{ expect: 'PLSAUTH' }, { send: 'RING\\n' }, { expect: 'AHOY-HOY' }] } }, null],
    ];
    const PER_KIND = 35;
    const checks = kinds.flatMap(([kind, body, , n = PER_KIND]) => Array.from({ length: n }, (_, i) => ({ name: `${kind}-${i}`, every: '2s', timeout: '1800ms', ...body })));
    const s = await startSockeye({ config: { targets: [], checks }, env: { SOCKEYE_ENABLE_TEST_HOOKS: '1' } });
    try {
      const fds = () => readdirSync(`/proc/${s.pid}/fd`).length;
      const stall = async (seconds: number) => expect((await fetch(`${s.url}/debug/scheduler/stall?seconds=${seconds}`, { method: 'POST' })).status).toBe(200);
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const metrics = async () => (await fetch(`${s.url}/metrics`)).text();
      const sum = (text: string, re: RegExp) => [...text.matchAll(re)].reduce((acc, m) => acc + Number(m[1]), 0);

      const count = (text: string, re: string) => Number(new RegExp(`^${re} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
      const runsOf = (text: string, name: string) => ({
        ok: count(text, `sockeye_check_runs_total\\{check="${name}",result="success"\\}`),
        failed: count(text, `sockeye_check_runs_total\\{check="${name}",result="failure"\\}`),
        // Only the reasons a kind can fail with are zeroed at start: a missing series is 0.
        reasons: Object.fromEntries(REASONS.map((r) => [r, count(text, `sockeye_check_failures_total\\{check="${name}",reason="${r}"\\}`) || 0])),
      });

      // Baseline: the first round has run (lazy setup, JIT warm-up) and nothing is in flight.
      await stall(4);
      await sleep(2000);
      const baseline = fds();
      const before = await metrics();
      const runsBefore = sum(before, /^sockeye_check_runs_total\{[^}]*\} (\d+)$/gm);
      let text = '';
      const deadline = Date.now() + 25_000;
      do {
        await sleep(500);
        text = await metrics();
      } while (sum(text, /^sockeye_check_runs_total\{[^}]*\} (\d+)$/gm) - runsBefore < PROCESS_RUNS && Date.now() < deadline);
      const total = sum(text, /^sockeye_check_runs_total\{[^}]*\} (\d+)$/gm) - runsBefore;
      expect(total).toBeGreaterThanOrEqual(PROCESS_RUNS);

      await stall(60);
      await sleep(2000);
      const after = fds();
      expect(after, `sockeye fds: baseline ${baseline}, after ${after} (${total} runs)`).toBeLessThanOrEqual(baseline + FD_SLACK);

      // Since the baseline, every run of every check failed for its kind's reason (or passed, for the good one).
      text = await metrics();
      const wrong: string[] = [];
      for (const [kind, , reason, n = PER_KIND] of kinds) {
        for (let i = 0; i < n; i++) {
          const name = `${kind}-${i}`;
          const a = runsOf(before, name);
          const b = runsOf(text, name);
          const ok = b.ok - a.ok;
          const failed = b.failed - a.failed;
          const delta = Object.fromEntries(REASONS.map((r) => [r, b.reasons[r]! - a.reasons[r]!]).filter(([, n]) => n !== 0));
          const want = reason === null ? { ok: ok + failed, failed: 0 } : { ok: 0, failed: ok + failed, [reason]: ok + failed };
          const got = reason === null ? { ok, failed } : { ok, failed, ...delta };
          if (ok + failed === 0 || JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${name}: ${JSON.stringify(got)}`);
        }
      }
      expect(wrong.slice(0, 10), `${wrong.length} checks with a wrong reason`).toEqual([]);
    } finally {
      await s.stop();
    }
  });
});
