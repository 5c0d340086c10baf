import { describe, expect, it } from 'vitest';
import { identity, RestartTracker } from '../../../src/collectors/restarts.js';

describe('RestartTracker', () => {
  it('counts nothing on the first look and nothing while the same processes stay', () => {
    const t = new RestartTracker();
    expect(t.observe('web', [identity(10, 100), identity(11, 100)], 0)).toBe(0);
    expect(t.observe('web', [identity(10, 100), identity(11, 100)], 1000)).toBe(0);
  });
  it('counts a process replaced within one collection', () => {
    const t = new RestartTracker();
    t.observe('web', [identity(10, 100), identity(11, 100)], 0);
    expect(t.observe('web', [identity(10, 100), identity(12, 500)], 1000)).toBe(1);
  });
  it('counts pid reuse with a new start time as a restart', () => {
    const t = new RestartTracker();
    t.observe('web', [identity(10, 100)], 0);
    expect(t.observe('web', [identity(10, 900)], 1000)).toBe(1);
  });
  it('counts a replacement that appears a collection later', () => {
    const t = new RestartTracker();
    t.observe('web', [identity(10, 100), identity(11, 100)], 0);
    expect(t.observe('web', [identity(11, 100)], 1000)).toBe(0);
    expect(t.observe('web', [identity(11, 100), identity(13, 700)], 2000)).toBe(1);
    expect(t.observe('web', [identity(11, 100), identity(13, 700)], 3000)).toBe(0);
  });
  it('does not count scale-up, nor a replacement after the window', () => {
    const t = new RestartTracker(5000);
    t.observe('web', [identity(10, 100)], 0);
    expect(t.observe('web', [identity(10, 100), identity(11, 200)], 1000)).toBe(0);
    expect(t.observe('web', [identity(10, 100)], 2000)).toBe(0);
    expect(t.observe('web', [identity(10, 100), identity(12, 300)], 9000)).toBe(0);
  });
  it('counts several workers dying in a row', () => {
    const t = new RestartTracker();
    t.observe('web', ['a', 'b', 'c'], 0);
    expect(t.observe('web', ['a2', 'b2', 'c'], 1000)).toBe(2);
    expect(t.observe('web', ['a2', 'b2', 'c2'], 2000)).toBe(1);
  });
  it('keeps targets apart and expires the ones no longer seen', () => {
    const t = new RestartTracker(5000);
    t.observe('a', ['1'], 0);
    t.observe('b', ['2'], 0);
    expect(t.observe('a', ['3'], 1000)).toBe(1);
    expect(t.expire(5500)).toEqual(['b']);
    expect(t.observe('b', ['4'], 6000)).toBe(0);
  });
});
