import { describe, expect, it } from 'vitest';
import { topWithOther } from '../../../src/collectors/top.js';

describe('topWithOther', () => {
  it.each([
    ['fewer than n: all, largest first', [['a', 1], ['b', 3]], 3, [{ key: 'b', count: 3 }, { key: 'a', count: 1 }]],
    ['exactly n: no other row', [['a', 1], ['b', 3]], 2, [{ key: 'b', count: 3 }, { key: 'a', count: 1 }]],
    ['more than n: the rest summed in other', [['a', 1], ['b', 3], ['c', 2], ['d', 4]], 2, [{ key: 'd', count: 4 }, { key: 'b', count: 3 }, { key: 'other', count: 3 }]],
    ['ties broken by key', [['z', 1], ['y', 1], ['x', 1]], 1, [{ key: 'x', count: 1 }, { key: 'other', count: 2 }]],
    ['empty', [], 5, []],
  ] as Array<[string, Array<[string, number]>, number, unknown]>)('%s', (_name, entries, n, expected) => {
    expect(topWithOther(new Map(entries), n)).toEqual(expected);
  });
});
