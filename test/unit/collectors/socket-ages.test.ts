import { describe, expect, it } from 'vitest';
import { SocketAgeTracker, type SocketState } from '../../../src/collectors/socket-ages.js';

const tcp = (state: string): SocketState => ({ protocol: 'tcp', state });
const sockets = (rows: Array<[number, string, string?]>) => new Map(rows.map(([inode, state, protocol]) => [inode, { protocol: protocol ?? 'tcp', state }]));

/** One collection of one target. */
function look(t: SocketAgeTracker, target: string, maps: Array<Map<number, SocketState>>, now: number) {
  t.begin();
  return t.observe(target, maps, now);
}

describe('SocketAgeTracker', () => {
  it('counts a socket first seen from then, and ages it while it stays in its state', () => {
    const t = new SocketAgeTracker(60_000);
    expect(look(t, 'web', [sockets([[1, 'close_wait'], [2, 'established']])], 1_000)).toEqual([
      { state: 'close_wait', oldestSeconds: 0, longLived: 0 },
      { state: 'established', oldestSeconds: 0, longLived: 0 },
    ]);
    expect(look(t, 'web', [sockets([[1, 'close_wait'], [2, 'established'], [3, 'close_wait']])], 31_000)).toEqual([
      { state: 'close_wait', oldestSeconds: 30, longLived: 0 },
      { state: 'established', oldestSeconds: 30, longLived: 0 },
    ]);
    expect(look(t, 'web', [sockets([[1, 'close_wait'], [2, 'established'], [3, 'close_wait']])], 61_000)).toEqual([
      { state: 'close_wait', oldestSeconds: 60, longLived: 1 },
      { state: 'established', oldestSeconds: 60, longLived: 1 },
    ]);
  });

  it('restarts the clock when a socket changes state', () => {
    const t = new SocketAgeTracker(10_000);
    look(t, 'web', [sockets([[1, 'established']])], 0);
    expect(look(t, 'web', [sockets([[1, 'established']])], 20_000)).toEqual([{ state: 'established', oldestSeconds: 20, longLived: 1 }]);
    expect(look(t, 'web', [sockets([[1, 'close_wait']])], 25_000)).toEqual([{ state: 'close_wait', oldestSeconds: 0, longLived: 0 }]);
    expect(look(t, 'web', [sockets([[1, 'close_wait']])], 40_000)).toEqual([{ state: 'close_wait', oldestSeconds: 15, longLived: 1 }]);
  });

  it('forgets closed sockets: an inode that comes back is a new socket', () => {
    const t = new SocketAgeTracker(10_000);
    look(t, 'web', [sockets([[1, 'close_wait'], [2, 'close_wait']])], 0);
    expect(look(t, 'web', [sockets([[2, 'close_wait']])], 5_000)).toEqual([{ state: 'close_wait', oldestSeconds: 5, longLived: 0 }]);
    expect(t.size()).toBe(1);
    expect(look(t, 'web', [sockets([[1, 'close_wait'], [2, 'close_wait']])], 20_000)).toEqual([{ state: 'close_wait', oldestSeconds: 20, longLived: 1 }]);
    expect(look(t, 'web', [sockets([[1, 'close_wait']])], 21_000)).toEqual([{ state: 'close_wait', oldestSeconds: 1, longLived: 0 }]);
  });

  it('leaves out listeners, UDP and unix sockets', () => {
    const t = new SocketAgeTracker(1_000);
    look(t, 'web', [sockets([[1, 'listen'], [2, 'close', 'udp'], [3, 'connected', 'unix'], [4, 'listen', 'tcp6']])], 0);
    expect(look(t, 'web', [sockets([[1, 'listen'], [2, 'close', 'udp'], [3, 'connected', 'unix'], [4, 'listen', 'tcp6'], [5, 'syn_sent', 'tcp6']])], 5_000)).toEqual([
      { state: 'syn_sent', oldestSeconds: 0, longLived: 0 },
    ]);
    expect(t.size()).toBe(1);
  });

  it('counts a socket shared by several processes of the target once', () => {
    const t = new SocketAgeTracker(1_000);
    const shared = sockets([[7, 'close_wait']]);
    look(t, 'web', [shared, shared, sockets([[8, 'close_wait']])], 0);
    expect(look(t, 'web', [shared, shared, sockets([[8, 'close_wait']])], 2_000)).toEqual([{ state: 'close_wait', oldestSeconds: 2, longLived: 2 }]);
  });

  it('keeps targets apart and forgets a target not observed in a collection', () => {
    const t = new SocketAgeTracker(1_000);
    t.begin();
    t.observe('a', [sockets([[1, 'close_wait']])], 0);
    t.observe('b', [sockets([[1, 'close_wait']])], 0);
    t.begin();
    expect(t.observe('a', [sockets([[1, 'close_wait']])], 3_000)).toEqual([{ state: 'close_wait', oldestSeconds: 3, longLived: 1 }]);
    t.begin(); // b was not observed in the last collection: forgotten
    expect(t.size()).toBe(1);
    expect(t.observe('b', [sockets([[1, 'close_wait']])], 4_000)).toEqual([{ state: 'close_wait', oldestSeconds: 0, longLived: 0 }]);
  });

  it('makes no object for a socket it already knows (30,000 sockets, many collections)', () => {
    const t = new SocketAgeTracker(60_000);
    const many = new Map<number, SocketState>();
    const states = [tcp('established'), tcp('close_wait')];
    for (let i = 0; i < 30_000; i++) many.set(1_000_000 + i, states[i % 2]!);
    look(t, 'big', [many], 0);
    // Half of them closed, replaced by as many new ones: the map stays the size of what is open.
    for (let i = 0; i < 15_000; i++) many.delete(1_000_000 + i * 2);
    for (let i = 0; i < 15_000; i++) many.set(2_000_000 + i, states[0]!);
    const ages = look(t, 'big', [many], 120_000);
    expect(t.size()).toBe(30_000);
    expect(ages).toEqual([
      { state: 'close_wait', oldestSeconds: 120, longLived: 15_000 },
      { state: 'established', oldestSeconds: 0, longLived: 0 },
    ]);
  });
});
