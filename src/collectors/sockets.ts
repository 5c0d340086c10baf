import { failureKind } from '../procfs/errors.js';
import { isZeroAddress, readInetTable, type InetSocket } from '../procfs/net/inet.js';
import { tcpStateName, TCP_LISTEN } from '../procfs/net/tcp.js';
import { udpStateName } from '../procfs/net/udp.js';
import { readNetUnix } from '../procfs/net/unix.js';
import { readPidNetNs } from '../procfs/pid/ns.js';
import type { Collector, ProcContext, SocketInfo } from './context.js';

type Family = 'tcp' | 'tcp6' | 'udp' | 'udp6';

/** Reads one table through the first pid of the namespace that is still there. */
function readTable(procs: ProcContext[], read: (pid: number) => void): void {
  for (const p of procs) {
    try {
      read(p.pid);
      return;
    } catch (err) {
      // tcp6/udp6 are absent with IPv6 disabled: no sockets there.
      if (failureKind(err) !== 'vanished') throw err;
    }
  }
}

// After the peer's FIN, rx_queue (rcv_nxt - copied_seq) includes the one
// sequence number the FIN takes: not a byte anyone can read.
const FIN_RECEIVED = new Set([8 /* close_wait */, 9 /* last_ack */, 11 /* closing */]);

function inetInfo(family: Family, row: InetSocket): SocketInfo {
  const tcp = family === 'tcp' || family === 'tcp6';
  const rx = tcp && FIN_RECEIVED.has(row.state) ? Math.max(0, row.rxQueue - 1) : row.rxQueue;
  const info: SocketInfo = { protocol: family, state: tcp ? tcpStateName(row.state) : udpStateName(row.state), rx, tx: row.txQueue };
  if (tcp && row.state === TCP_LISTEN) info.listenPort = row.localPort;
  else if (tcp && !isZeroAddress(row.remoteHex)) info.peerHex = row.remoteHex;
  return info;
}

// net/tcp{,6}, udp{,6} and unix list a whole network namespace: read each once
// per namespace, only when some process there holds sockets, keeping only the
// rows whose inode one of them holds.
export const socketsCollector: Collector = {
  name: 'sockets',
  process(p, env) {
    if (!p.socketInodes || p.socketInodes.length === 0) return;
    p.netns = readPidNetNs(env.procRoot, p.pid);
  },
  finish(procs, env, fail) {
    const byNs = new Map<number | string, ProcContext[]>();
    for (const p of procs) {
      if (p.gone || !p.socketInodes || p.socketInodes.length === 0) continue;
      const key = p.netns ?? `pid:${p.pid}`;
      let list = byNs.get(key);
      if (!list) byNs.set(key, (list = []));
      list.push(p);
    }
    for (const members of byNs.values()) {
      const wanted = new Set<number>();
      for (const p of members) for (const inode of p.socketInodes!) wanted.add(inode);
      const found = new Map<number, SocketInfo>();
      // A socket is a row of exactly one table: once every inode is found the
      // rest are not read (an IPv4-only app never pays for the tcp6 walk).
      const complete = () => found.size === wanted.size;
      try {
        for (const family of ['tcp', 'tcp6', 'udp', 'udp6'] as const) {
          if (complete()) break;
          readTable(members, (pid) => {
            for (const row of readInetTable(env.procRoot, pid, family, wanted)) found.set(row.inode, inetInfo(family, row));
          });
        }
        if (!complete()) {
          readTable(members, (pid) => {
            for (const row of readNetUnix(env.procRoot, pid, wanted)) found.set(row.inode, { protocol: 'unix', state: row.state, rx: 0, tx: 0 });
          });
        }
      } catch (err) {
        fail(members[0], err);
      }
      for (const p of members) {
        const mine = new Map<number, SocketInfo>();
        // netlink, packet and sockets of another namespace are in none of these tables.
        for (const inode of p.socketInodes!) mine.set(inode, found.get(inode) ?? { protocol: 'other', state: 'unknown', rx: 0, tx: 0 });
        p.sockets = mine;
      }
    }
  },
};
