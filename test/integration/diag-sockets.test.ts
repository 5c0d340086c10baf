// TCP sockets through sock_diag (the addon's tcpDumpAsync and tcpSelect, native/diag.c)
// against the /proc/net/tcp{,6} join, for a real process's sockets in every
// shape it can hold: the same protocol, state, queues, listening port and
// peer for every inode, and the listeners' backlogs besides.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectTargets, pidTarget } from '../../src/collectors/pipeline.js';
import { openSource, type SocketRead } from '../../src/collectors/sources/index.js';
import { dumpTcp } from '../support/diag.js';
import { requireAddon, type Addon } from '../../src/procfs/addon.js';
import { decodeAddress, isZeroAddress, readInetTable } from '../../src/procfs/net/inet.js';
import { inetSocketInfo, type SocketInfo } from '../../src/procfs/net/socket-info.js';
import { DIAG_TCP_FIELDS } from '../../src/procfs/net/diag.js';
import { TCP_LISTEN } from '../../src/procfs/net/tcp.js';
import { readPidFdSummary } from '../../src/procfs/pid/fd.js';
import { killAllHolders, spawnHolder, type Holder } from '../support/procs.js';

let addon: Addon;
let h: Holder;
let other: Holder;
beforeAll(async () => {
  // Whatever SOCKEYE_NATIVE says: this is about the addon, and fails when it is not built.
  addon = requireAddon();
  other = await spawnHolder({ listen: [{ host: '127.0.0.1' }, { host: '::1' }] });
  h = await spawnHolder({
    listen: [
      { host: '127.0.0.1', backlog: 32 },
      { host: '::1', backlog: 7 },
    ],
    connections: [
      { listener: 0, count: 4, state: 'established', send: 1000 },
      { listener: 1, count: 3, state: 'established' },
      { listener: 0, count: 2, state: 'close_wait', send: 300 },
      { listener: 1, count: 2, state: 'close_wait' },
      { listener: 0, count: 3, state: 'pending' },
    ],
    connectTo: [
      { host: '127.0.0.1', port: other.report.listeners[0]!.port, count: 2 },
      { host: '::1', port: other.report.listeners[1]!.port, count: 1 },
    ],
    udp: [{ host: '127.0.0.1' }, { host: '::1' }],
    unixPairs: 1,
  });
});
afterAll(killAllHolders);

/** The /proc/net/tcp{,6} rows of these inodes, as the text source makes them (peer decoded). */
function fromTables(pid: number, wanted: Set<number>): Map<number, SocketInfo> {
  const out = new Map<number, SocketInfo>();
  for (const family of ['tcp', 'tcp6'] as const) {
    for (const row of readInetTable('/proc', pid, family, wanted)) {
      const info = inetSocketInfo(family, row.state, row.rxQueue, row.txQueue);
      if (row.state === TCP_LISTEN) info.listenPort = row.localPort;
      else if (!isZeroAddress(row.remoteHex)) info.peer = decodeAddress(row.remoteHex);
      out.set(row.inode, info);
    }
  }
  return out;
}

const sorted = (m: Map<number, SocketInfo>) => [...m].sort((a, b) => a[0] - b[0]);

describe('sock_diag TCP dump of a real process', () => {
  it('gives every TCP socket the /proc tables give, with the same state, queues, port and peer', async () => {
    const wanted = new Set<number>(readPidFdSummary('/proc', h.pid).socketInodes);
    const tables = fromTables(h.pid, wanted);
    const diag = await dumpTcp(addon, wanted);
    // 2 listeners, 2 × (4 + 3) established ends, 4 close_wait, 3 pending clients, 3 outgoing.
    expect(tables.size).toBe(2 + 14 + 4 + 3 + 3);
    const withoutBacklog = new Map([...diag].map(([inode, { backlog: _, ...s }]) => [inode, s]));
    expect(sorted(withoutBacklog)).toEqual(sorted(tables));
  });

  it('carries what the tables do not: each listener backlog, beside its accept queue', async () => {
    const wanted = new Set<number>(readPidFdSummary('/proc', h.pid).socketInodes);
    const listeners = [...(await dumpTcp(addon, wanted)).values()].filter((s) => s.listenPort !== undefined);
    expect(listeners.map((s) => [s.protocol, s.listenPort, s.backlog, s.rx, s.tx]).sort()).toEqual(
      [
        ['tcp', h.report.listeners[0]!.port, 32, 3, 0],
        ['tcp6', h.report.listeners[1]!.port, 7, 0, 0],
      ].sort(),
    );
  });

  it('keeps only wanted inodes: another process, UDP and unix sockets are not in it', async () => {
    const mine = Array.from(readPidFdSummary('/proc', h.pid).socketInodes);
    const others = readPidFdSummary('/proc', other.pid).socketInodes;
    const diag = await dumpTcp(addon, new Set(others));
    expect([...diag.keys()].some((inode) => mine.includes(inode))).toBe(false);
    // other holds 2 listeners and the 3 accepted ends of h's outgoing connections (queued, not accepted: not its fds).
    expect([...diag.values()].map((s) => s.state).sort()).toEqual(['listen', 'listen']);
    expect((await dumpTcp(addon, new Set<number>())).size).toBe(0);
  });

  it('sees the rx queue of unread bytes and subtracts the FIN from a CLOSE_WAIT one', async () => {
    const wanted = new Set<number>(readPidFdSummary('/proc', h.pid).socketInodes);
    const socks = [...(await dumpTcp(addon, wanted)).values()];
    const rx = (state: string, protocol: string) => socks.filter((s) => s.state === state && s.protocol === protocol).map((s) => s.rx).sort((a, b) => a - b);
    // established IPv4: 4 accepted ends hold 1000 unread bytes; their 4 clients, 3 pending clients and 2 outgoing hold none.
    expect(rx('established', 'tcp')).toEqual([...Array(9).fill(0), 1000, 1000, 1000, 1000]);
    expect(rx('close_wait', 'tcp')).toEqual([300, 300]);
    expect(rx('close_wait', 'tcp6')).toEqual([0, 0]);
  });
});

describe('the addon', () => {
  it('refuses an argument that is not a Float64Array of inodes', async () => {
    const dump = await addon.tcpDumpAsync();
    expect(() => addon.tcpSelect(dump, [1, 2] as unknown as Float64Array)).toThrow(/expected a Float64Array of socket inodes/);
    expect(() => addon.tcpSelect({} as never, new Float64Array())).toThrow(/expected a dump of tcpDumpAsync/);
  });

  it('gives a socket wanted twice once, and frees the dump when selected from', async () => {
    const wanted = Float64Array.from(readPidFdSummary('/proc', h.pid).socketInodes);
    const tcp = fromTables(h.pid, new Set(wanted));
    const dump = await addon.tcpDumpAsync();
    const selected = addon.tcpSelect(dump, Float64Array.from([...wanted, ...wanted]));
    const inodes = Array.from({ length: selected.rows.length / DIAG_TCP_FIELDS }, (_, i) => selected.rows[i * DIAG_TCP_FIELDS]!);
    expect(inodes.sort((a, b) => a - b)).toEqual([...tcp.keys()].sort((a, b) => a - b));
    expect(() => addon.tcpSelect(dump, wanted)).toThrow(/already selected from/);
  });
});

describe('the native source in a collection', () => {
  it('begins the dump before the fd walk, and counts its time in the sockets stage', async () => {
    const source = openSource('native', { procRoot: '/proc', cgroupRoot: '/sys/fs/cgroup' });
    const order: string[] = [];
    let early: SocketRead['early'];
    const readSockets = source.readSockets.bind(source);
    source.readSockets = (netns, pids) => {
      const read = readSockets(netns, pids);
      order.push(read.early ? 'dump' : 'tables');
      early ??= read.early;
      return read;
    };
    const fdSummaries = source.fdSummaries.bind(source);
    source.fdSummaries = (pids) => {
      order.push('fd walk');
      return fdSummaries(pids);
    };
    const snap = await collectTargets({ procRoot: '/proc', cgroupRoot: '/sys/fs/cgroup', topN: 10, longLivedAfterMs: 300_000, targets: pidTarget(h.pid) }, source);
    expect(order).toEqual(['dump', 'fd walk']);
    const stage = snap.collectors.find((c) => c.name === 'sockets')!;
    expect(stage.success).toBe(true);
    expect(stage.durationSeconds * 1000).toBeGreaterThanOrEqual(early!.doneAt! - early!.startedAt);
    const { total } = snap.targets[0]!;
    expect(total.sockets.filter((s) => s.protocol === 'tcp' && s.state === 'close_wait').reduce((n, s) => n + s.count, 0)).toBe(2);
  });
});
