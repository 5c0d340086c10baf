import { failureKind } from '../procfs/errors.js';
import { isProcfs } from '../procfs/is-procfs.js';
import { isZeroAddress, readInetTable, type InetFamily, type InetSocket } from '../procfs/net/inet.js';
import { TCP_LISTEN } from '../procfs/net/tcp.js';
import { readNetUnix } from '../procfs/net/unix.js';
import { fdAddon } from '../procfs/pid/fd-native.js';
import { readOwnNetNs, readPidNetNs } from '../procfs/pid/ns.js';
import type { Collector, ProcContext, SocketInfo } from './context.js';
import { readDiagTcp } from './diag-sockets.js';
import { inetSocketInfo } from './socket-info.js';

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

function inetInfo(family: InetFamily, row: InetSocket): SocketInfo {
  const info = inetSocketInfo(family, row.state, row.rxQueue, row.txQueue);
  const tcp = family === 'tcp' || family === 'tcp6';
  if (tcp && row.state === TCP_LISTEN) info.listenPort = row.localPort;
  else if (tcp && !isZeroAddress(row.remoteHex)) info.peerHex = row.remoteHex;
  return info;
}

// Set on the first failed sock_diag dump (a kernel without inet_diag, a
// seccomp profile refusing netlink): from then on the tables are read.
let diagFailed = false;

/**
 * The namespace's TCP sockets through sock_diag, when sockeye can ask the
 * kernel about that namespace: the addon is built, procRoot is the real
 * procfs (not a fixture tree) and the namespace is sockeye's own (a sidecar
 * shares its pod's). Undefined otherwise, or when the dump fails.
 */
function diagTcp(procRoot: string, netns: number | string, wanted: Set<number>): Map<number, SocketInfo> | undefined {
  if (!fdAddon || diagFailed || typeof netns !== 'number' || !isProcfs(procRoot) || netns !== readOwnNetNs()) return undefined;
  try {
    return readDiagTcp(fdAddon, wanted);
  } catch {
    diagFailed = true;
    return undefined;
  }
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
      // TCP through sock_diag where it can answer: the kernel formats no text
      // and skips TIME_WAIT rows, a third of the cost of reading tcp and tcp6.
      const diag = diagTcp(env.procRoot, members[0]!.netns ?? '', wanted);
      const found = diag ?? new Map<number, SocketInfo>();
      const families: InetFamily[] = diag ? ['udp', 'udp6'] : ['tcp', 'tcp6', 'udp', 'udp6'];
      // A socket is a row of exactly one table: once every inode is found the
      // rest are not read (an IPv4-only app never pays for the tcp6 walk).
      const complete = () => found.size === wanted.size;
      try {
        for (const family of families) {
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
