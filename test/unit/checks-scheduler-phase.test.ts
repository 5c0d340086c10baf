import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { alignedAtOrAfter, checkPhaseMs, firstDueMs, nextDueMs, START_SLOT_MS } from '../../src/checks/scheduler.js';

const run = promisify(execFile);
const REPO = new URL('../..', import.meta.url).pathname;
const names = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Counts of values per bucket of `width` over [0, period). */
function buckets(values: number[], period: number, width: number): number[] {
  const counts = new Array<number>(Math.ceil(period / width)).fill(0);
  for (const v of values) counts[Math.floor(v / width)]!++;
  return counts;
}

describe('checkPhaseMs', () => {
  it('is the same for a name within a process and in a fresh one (stable across restarts)', async () => {
    const list = [...names('c', 50), 'web-health', 'party-socket', 'äpi-çert', ''];
    const periods = [1000, 15_000, 3_600_000];
    const here = periods.map((p) => list.map((n) => checkPhaseMs(n, p)));
    expect(periods.map((p) => list.map((n) => checkPhaseMs(n, p)))).toEqual(here);
    const script = `import { checkPhaseMs } from './src/checks/scheduler.ts';
      const list = ${JSON.stringify(list)};
      process.stdout.write(JSON.stringify(${JSON.stringify(periods)}.map((p) => list.map((n) => checkPhaseMs(n, p)))));`;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO, timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual(here);
  });

  it('stays within the period, on a start slot, and differs between names', () => {
    for (const period of [1000, 1010, 1500, 60_000, 86_400_000]) {
      const phases = names('check-', 200).map((n) => checkPhaseMs(n, period));
      for (const p of phases) {
        expect(p % START_SLOT_MS).toBe(0);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThan(period);
      }
      // Nearly every slot used when there are fewer slots than names, nearly every name apart when there are more.
      expect(new Set(phases).size).toBeGreaterThan(Math.min(150, 0.9 * Math.ceil(period / START_SLOT_MS)));
    }
  });

  it('spreads 500 checks of 1 s evenly over the second: no burst', () => {
    const phases = names('c', 500).map((n) => checkPhaseMs(n, 1000));
    // 50 expected per tenth of a second, 12.5 per 25 ms start slot.
    for (const n of buckets(phases, 1000, 100)) {
      expect(n).toBeGreaterThanOrEqual(25);
      expect(n).toBeLessThanOrEqual(75);
    }
    const slots = buckets(phases, 1000, START_SLOT_MS);
    expect(Math.max(...slots)).toBeLessThanOrEqual(25);
    expect(slots.filter((n) => n === 0)).toEqual([]);
  });

  it('spreads names that differ in one character over a long period too', () => {
    const phases = names('web-', 600).map((n) => checkPhaseMs(n, 60_000));
    for (const n of buckets(phases, 60_000, 6000)) {
      expect(n).toBeGreaterThanOrEqual(30);
      expect(n).toBeLessThanOrEqual(90);
    }
  });
});

describe('due times', () => {
  // The definition, by brute force: the first x >= t with x ≡ phase (mod period).
  const slow = (t: number, phase: number, period: number) => {
    let x = t;
    while ((((x - phase) % period) + period) % period !== 0) x++;
    return x;
  };

  it('alignedAtOrAfter is the first instant on the grid at or after t', () => {
    const base = 1_795_000_000_123;
    for (const [period, phase] of [
      [1000, 0],
      [1000, 999],
      [1000, 417],
      [1500, 1234],
      [15_000, 7300],
    ] as const) {
      for (const dt of [0, 1, 416, 417, 418, 998, 999, 1000, 1001, 7299, 7300, 14_999, 31_337]) {
        const t = base + dt;
        expect(alignedAtOrAfter(t, phase, period), `period ${period} phase ${phase} t+${dt}`).toBe(slow(t, phase, period));
      }
    }
  });

  it('a 1 s check runs exactly once a second on its phase, without drift, from its first run on', () => {
    const phase = 731;
    const start = 1_795_000_000_950;
    let due = firstDueMs(start, phase);
    expect(due).toBe(start + 781); // the first instant at .731 after .950
    const gaps = new Set<number>();
    for (let i = 0; i < 100_000; i++) {
      const next = nextDueMs(due, phase, 1000);
      gaps.add(next - due);
      due = next;
    }
    expect([...gaps]).toEqual([1000]);
    expect(due % 1000).toBe(phase);
  });

  it('a longer interval runs first within a second of start, then on its grid, never sooner than one interval apart', () => {
    const phase = 7300; // of 15 s: first run at .300, then at 7.3 s past each 15 s
    for (const start of [1_795_000_000_000, 1_795_000_000_299, 1_795_000_000_301, 1_795_000_008_000, 1_795_000_014_999]) {
      const first = firstDueMs(start, phase);
      expect(first).toBeGreaterThanOrEqual(start);
      expect(first - start).toBeLessThan(1000);
      expect(first % 1000).toBe(300);
      const second = nextDueMs(first, phase, 15_000);
      expect(second - first).toBeGreaterThanOrEqual(15_000);
      expect(second - first).toBeLessThan(30_000);
      expect(second % 15_000).toBe(phase);
      expect(nextDueMs(second, phase, 15_000) - second).toBe(15_000);
    }
  });
});
