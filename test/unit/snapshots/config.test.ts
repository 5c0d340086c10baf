import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { DEFAULTS } from '../../../src/config/snapshots.js';

describe('snapshots config', () => {
  it('defaults: on, bounded, triggers at the alerts’ thresholds', () => {
    expect(parseConfig('{}', { env: {} }).snapshots).toEqual(DEFAULTS);
    expect(DEFAULTS.triggers).toMatchObject({ fdUsage: 0.8, closeWait: 50, closeWaitStuck: 5 });
  });

  it('sizes with units, durations, triggers switched off one by one', () => {
    const s = parseConfig('snapshots: { maxBytes: 64MiB, cooldown: 90s, triggers: { fdUsage: false, memoryGrowth: { atLeast: 500MB, window: 1h } } }', { env: {} }).snapshots;
    expect(s.maxBytes).toBe(64 * 1024 * 1024);
    expect(s.cooldown).toBe(90_000);
    expect(s.triggers.fdUsage).toBe(false);
    expect(s.triggers.memoryGrowth).toEqual({ atLeast: 500_000_000, window: 3_600_000 });
    expect(s.triggers.closeWait).toBe(DEFAULTS.triggers.closeWait);
    expect(parseConfig('snapshots: { maxBytes: 100000 }', { env: {} }).snapshots.maxBytes).toBe(100_000);
  });

  it('the automatic baseline: on by default (10m healthy, refreshed daily, 100 targets), partly set, or off', () => {
    expect(DEFAULTS.baseline).toEqual({ after: 600_000, every: 86_400_000, maxTargets: 100 });
    expect(parseConfig('snapshots: { baseline: { after: 30s } }', { env: {} }).snapshots.baseline).toEqual({ after: 30_000, every: 86_400_000, maxTargets: 100 });
    expect(parseConfig('snapshots: { baseline: false }', { env: {} }).snapshots.baseline).toBe(false);
    expect(() => parseConfig('snapshots: { baseline: true }', { env: {} })).toThrow('snapshots.baseline: expected false (off) or a mapping with after, every and maxTargets, got true');
  });
});
