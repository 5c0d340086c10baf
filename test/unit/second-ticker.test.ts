import { afterEach, describe, expect, it } from 'vitest';
import { SecondTicker } from '../../src/checks/second-ticker.js';

const tickers: SecondTicker[] = [];
afterEach(() => tickers.splice(0).forEach((t) => t.stop()));

describe('SecondTicker', () => {
  it('ticks once per wall-clock second, in order, and never twice in one second', { timeout: 10_000 }, async () => {
    const calls: number[] = [];
    const t = new SecondTicker((now) => calls.push(now));
    tickers.push(t);
    t.start();
    t.start(); // a second start is a no-op, not a second timer
    await new Promise((r) => setTimeout(r, 3600));
    const seconds = calls.map((now) => Math.floor(now / 1000));
    expect(calls.length).toBeGreaterThanOrEqual(2);
    expect(new Set(seconds).size).toBe(seconds.length);
    for (let i = 1; i < seconds.length; i++) expect(seconds[i]).toBeGreaterThan(seconds[i - 1]!);
  });

  it('stops: no tick after stop()', async () => {
    const calls: number[] = [];
    const t = new SecondTicker((now) => calls.push(now));
    t.start();
    expect(t.running).toBe(true);
    t.stop();
    expect(t.running).toBe(false);
    await new Promise((r) => setTimeout(r, 1200));
    expect(calls).toEqual([]);
  });
});
