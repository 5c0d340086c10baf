import { formatAddress } from './inet.js';
import { inetSocketInfo, SocketInterner, type SocketInfo } from './socket-info.js';
import { TCP_LISTEN } from './tcp.js';

/** Doubles per socket in the addon's tcpSelect() rows (TCP_DUMP_FIELDS in native/diag.h). */
export const DIAG_TCP_FIELDS = 7;

/**
 * The addon's sock_diag records → sockets by inode, as the /proc/net/tcp{,6}
 * join would give them. A listener's record carries its backlog (the kernel
 * reports it as wqueue); its tx is 0, as /proc/net/tcp shows it. Each distinct peer is formatted once.
 *
 * `into`: the map of the previous dump, updated in place (entries of sockets
 * no longer there removed) instead of a new one: a map of thousands of
 * entries is a large object to V8, collected only by a full GC, and one per
 * collection made bursts of scrapes grow the heap by megabytes.
 */
export function parseDiagTcp(rows: ArrayLike<number>, peers: Uint8Array, into = new Map<number, SocketInfo>()): Map<number, SocketInfo> {
  const names: string[] = [];
  for (let i = 0; i + 16 <= peers.length; i += 16) names.push(formatAddress(peers.subarray(i, i + 16)));
  const interner = new SocketInterner();
  const count = Math.floor(rows.length / DIAG_TCP_FIELDS);
  for (let i = 0; i < count * DIAG_TCP_FIELDS; i += DIAG_TCP_FIELDS) {
    const protocol = rows[i + 1] === 6 ? 'tcp6' : 'tcp';
    const state = rows[i + 2]!;
    const rq = rows[i + 3]!;
    const wq = rows[i + 4]!;
    const peer = names[rows[i + 6]!];
    let info: SocketInfo;
    if (state === TCP_LISTEN) {
      info = inetSocketInfo(protocol, state, rq, 0);
      info.listenPort = rows[i + 5]!;
      info.backlog = wq;
    } else if (rq === 0 && wq === 0) {
      info = interner.idleSocket(protocol, state, peer);
    } else {
      info = inetSocketInfo(protocol, state, rq, wq);
      if (peer !== undefined) info.peer = peer;
    }
    into.set(rows[i]!, info);
  }
  // What the sockets stage added to the map after the last dump (UDP, unix, unknown) is in no TCP dump.
  if (into.size > count) for (const [inode, s] of into) if (s.protocol !== 'tcp' && s.protocol !== 'tcp6') into.delete(inode);
  // TCP sockets of the previous dump that are gone: only when there are any (the map still holds more than this dump).
  if (into.size > count) {
    const now = new Float64Array(count);
    for (let k = 0; k < count; k++) now[k] = rows[k * DIAG_TCP_FIELDS]!;
    now.sort();
    for (const inode of into.keys()) if (!sortedHas(now, inode)) into.delete(inode);
  }
  return into;
}

function sortedHas(sorted: Float64Array, x: number): boolean {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo < sorted.length && sorted[lo] === x;
}
