// The listen backlog from sock_diag through the native addon (native/diag.c)
// and from `ss -ltne` (the fallback), for a real process's listeners: both
// must report the backlog listen() was given and the connections waiting in
// the accept queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPidFdSummaryJs, requireFdAddon } from '../../src/procfs/pid/fd-native.js';
import { parseDiagListeners } from '../../src/collectors/diag-listen.js';
import { readSsListen } from '../../src/collectors/ss-listen.js';
import { killAllHolders, spawnHolder, type Holder } from '../support/procs.js';

let h: Holder;
beforeAll(async () => {
  h = await spawnHolder({
    listen: [
      { host: '127.0.0.1', backlog: 16 },
      { host: '::1', backlog: 8 },
    ],
    connections: [
      { listener: 0, count: 2, state: 'pending' },
      { listener: 1, count: 1, state: 'established' },
    ],
  });
});
afterAll(killAllHolders);

/** The rows of the holder's own sockets, as [queue, backlog] sorted by backlog. */
function holderRows(rows: Map<number, { queue: number; backlog: number }>): Array<[number, number]> {
  const mine = new Set(readPidFdSummaryJs('/proc', h.pid).socketInodes);
  return [...rows]
    .filter(([inode]) => mine.has(inode))
    .map(([, r]): [number, number] => [r.queue, r.backlog])
    .sort((a, b) => a[1] - b[1]);
}

describe('listen backlog of a real process', () => {
  it('sock_diag through the addon: each listener with its backlog and its accept queue', () => {
    // Whatever SOCKEYE_NATIVE says: this is about the addon, and fails when it is not built.
    const rows = parseDiagListeners(requireFdAddon().listeners());
    expect(holderRows(rows)).toEqual([
      [0, 8],
      [2, 16],
    ]);
  });
  it('ss -ltne, the fallback, says the same', () => {
    // ss missing or failing gives no rows, and so not the holder's two listeners.
    expect(holderRows(readSsListen() ?? new Map())).toEqual([
      [0, 8],
      [2, 16],
    ]);
  });
});

describe('parseDiagListeners', () => {
  it('reads (inode, queue, backlog) triples and ignores a cut-off tail', () => {
    expect([...parseDiagListeners([11, 0, 128, 12, 3, 4096, 13, 1])]).toEqual([
      [11, { queue: 0, backlog: 128 }],
      [12, { queue: 3, backlog: 4096 }],
    ]);
  });
});
