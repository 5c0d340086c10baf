// The listen backlog from sock_diag through the native addon (native/diag.c:
// the dump's listener records) and from `ss -ltne` (what the text source
// asks), for a real process's listeners: both must report the backlog
// listen() was given and the connections waiting in the accept queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dumpTcp } from '../support/diag.js';
import { requireAddon } from '../../src/procfs/addon.js';
import { readSsListen } from '../../src/procfs/net/ss-listen.js';
import { readPidFdSummary } from '../../src/procfs/pid/fd.js';
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
  const mine = new Set(readPidFdSummary('/proc', h.pid).socketInodes);
  return [...rows]
    .filter(([inode]) => mine.has(inode))
    .map(([, r]): [number, number] => [r.queue, r.backlog])
    .sort((a, b) => a[1] - b[1]);
}

describe('listen backlog of a real process', () => {
  it('sock_diag through the addon: each listener with its backlog and its accept queue', async () => {
    // Whatever SOCKEYE_NATIVE says: this is about the addon, and fails when it is not built.
    const dumped = await dumpTcp(requireAddon(), readPidFdSummary('/proc', h.pid).socketInodes);
    const rows = new Map<number, { queue: number; backlog: number }>();
    for (const [inode, s] of dumped) if (s.listenPort !== undefined) rows.set(inode, { queue: s.rx, backlog: s.backlog! });
    expect(holderRows(rows)).toEqual([
      [0, 8],
      [2, 16],
    ]);
  });
  it('ss -ltne, what the text source asks, says the same', () => {
    // ss missing or failing gives no rows, and so not the holder's two listeners.
    expect(holderRows(readSsListen() ?? new Map())).toEqual([
      [0, 8],
      [2, 16],
    ]);
  });
});
