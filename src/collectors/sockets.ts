import { failureKind } from '../procfs/errors.js';
import { isProcfs } from '../procfs/is-procfs.js';
import { isZeroAddress, readInetTable, type InetFamily, type InetSocket } from '../procfs/net/inet.js';
import { TCP_LISTEN } from '../procfs/net/tcp.js';
import { readNetUnix } from '../procfs/net/unix.js';
import { fdAddon } from '../procfs/pid/fd-native.js';
import { readOwnNetNs, readPidNetNs } from '../procfs/pid/ns.js';
import type { CollectEnv, Collector, ProcContext, SocketInfo } from './context.js';
import { readDiagTcp, readDiagTcpAsync } from './diag-sockets.js';
import { inetSocketInfo, SocketInterner } from './socket-info.js';

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

function inetInfo(family: InetFamily, row: InetSocket, interner: SocketInterner): SocketInfo {
  const tcp = family === 'tcp' || family === 'tcp6';
  const listening = tcp && row.state === TCP_LISTEN;
  const peerHex = tcp && !listening && !isZeroAddress(row.remoteHex) ? row.remoteHex : undefined;
  if (!listening && row.rxQueue === 0 && row.txQueue === 0) return interner.idleSocket(family, row.state, peerHex, true);
  const info = inetSocketInfo(family, row.state, row.rxQueue, row.txQueue);
  if (listening) info.listenPort = row.localPort;
  else if (peerHex !== undefined) info.peerHex = peerHex;
  return info;
}

/** A socket in none of the tables (netlink, packet, another namespace's): one shared, never-changed record. */
const UNKNOWN_SOCKET: SocketInfo = Object.freeze({ protocol: 'other', state: 'unknown', rx: 0, tx: 0 });

/** The last async dump's map per namespace, refilled by the next (parseDiagTcp's `into`). */
const reused = new Map<number, Map<number, SocketInfo>>();

// Set on the first failed sock_diag dump (a kernel without inet_diag, a
// seccomp profile refusing netlink): from then on the tables are read.
let diagFailed = false;

/**
 * sockeye's own network namespace when sock_diag can answer for `procRoot`'s
 * processes there: the addon is built, procRoot is the real procfs (not a
 * fixture tree) and no dump has failed. Undefined otherwise.
 */
function diagNetNs(procRoot: string): number | undefined {
  if (!fdAddon || diagFailed || !isProcfs(procRoot)) return undefined;
  return readOwnNetNs();
}

/**
 * The namespace's TCP sockets through sock_diag when sockeye can ask the
 * kernel about that namespace (a sidecar shares its pod's): from prepare()'s
 * dump in an async collection, else dumped here. Undefined when the tables
 * must be read instead.
 */
function diagTcp(env: CollectEnv, netns: number | string, inodes: Iterable<number>, pids: number[]): { sockets: Map<number, SocketInfo>; othersToo: boolean } | undefined {
  if (!fdAddon || typeof netns !== 'number' || netns !== diagNetNs(env.procRoot)) return undefined;
  // prepare() asked for the processes of the namespace then; one may have
  // exited since (its sockets then in the dump too). If one is missing from
  // it (its netns could not be read then), dump again here.
  const dumped = env.prepared?.tcp.get(netns);
  if (dumped && pids.every((pid) => dumped.pids.includes(pid))) return { sockets: dumped.sockets, othersToo: dumped.pids.length !== pids.length };
  try {
    return { sockets: readDiagTcp(fdAddon, inodes), othersToo: false };
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
  async prepare(procs, env) {
    const own = diagNetNs(env.procRoot);
    if (own === undefined || !env.prepared) return;
    const mine: ProcContext[] = [];
    for (const p of procs) {
      if (!p.socketInodes || p.socketInodes.length === 0) continue;
      try {
        p.netns = readPidNetNs(env.procRoot, p.pid);
      } catch {
        continue; // process() reads it again, and records why it cannot
      }
      if (p.netns === own) mine.push(p);
    }
    if (mine.length === 0) return;
    // One process: the walk's own inode array, passed as it is.
    const inodes = mine.length === 1 ? mine[0]!.socketInodes! : new Set(mine.flatMap((p) => [...p.socketInodes!]));
    // The previous collection's map, updated in place (see parseDiagTcp); it
    // is not read after that collection ended. Only the namespace's latest.
    const into = reused.get(own) ?? new Map<number, SocketInfo>();
    reused.clear();
    try {
      env.prepared.tcp.set(own, { sockets: await readDiagTcpAsync(fdAddon!, inodes, into), pids: mine.map((p) => p.pid) });
      reused.set(own, into);
    } catch {
      diagFailed = true;
    }
  },
  process(p, env) {
    if (!p.socketInodes || p.socketInodes.length === 0) return;
    p.netns ??= readPidNetNs(env.procRoot, p.pid);
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
    const interner = new SocketInterner();
    for (const members of byNs.values()) {
      const pids = members.map((p) => p.pid);
      // One process (a sidecar's app): its own inodes, no set of thousands built.
      const inodes: Iterable<number> = members.length === 1 ? members[0]!.socketInodes! : new Set(members.flatMap((p) => [...p.socketInodes!]));
      // TCP through sock_diag where it can answer: the kernel formats no text
      // and skips TIME_WAIT rows, a third of the cost of reading tcp and tcp6.
      const diag = diagTcp(env, members[0]!.netns ?? '', inodes, pids);
      const found = diag?.sockets ?? new Map<number, SocketInfo>();
      // The wanted inodes not found yet: all of them before the tables are read.
      const absent = new Set<number>();
      for (const inode of inodes) if (!found.has(inode)) absent.add(inode);
      const add = (inode: number, info: SocketInfo) => {
        absent.delete(inode);
        found.set(inode, info);
      };
      const families: InetFamily[] = diag ? ['udp', 'udp6'] : ['tcp', 'tcp6', 'udp', 'udp6'];
      // A socket is a row of exactly one table: once every inode is found the
      // rest are not read (an IPv4-only app never pays for the tcp6 walk).
      try {
        for (const family of families) {
          if (absent.size === 0) break;
          readTable(members, (pid) => {
            for (const row of readInetTable(env.procRoot, pid, family, absent)) add(row.inode, inetInfo(family, row, interner));
          });
        }
        if (absent.size > 0) {
          readTable(members, (pid) => {
            for (const row of readNetUnix(env.procRoot, pid, absent)) add(row.inode, { protocol: 'unix', state: row.state, rx: 0, tx: 0 });
          });
        }
      } catch (err) {
        fail(members[0], err);
      }
      // netlink, packet and sockets of another namespace are in none of these tables.
      if (members.length === 1 && !diag?.othersToo) {
        // The usual sidecar: one process, whose sockets are exactly what was found (no copy of a map of thousands).
        for (const inode of absent) found.set(inode, UNKNOWN_SOCKET);
        members[0]!.sockets = found;
        continue;
      }
      for (const p of members) {
        const mine = new Map<number, SocketInfo>();
        for (const inode of p.socketInodes!) mine.set(inode, found.get(inode) ?? UNKNOWN_SOCKET);
        p.sockets = mine;
      }
    }
  },
};
