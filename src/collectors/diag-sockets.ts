import { formatAddress } from '../procfs/net/inet.js';
import { TCP_LISTEN } from '../procfs/net/tcp.js';
import type { FdAddon } from '../procfs/pid/fd-native.js';
import type { SocketInfo } from './context.js';
import { inetSocketInfo } from './socket-info.js';

/** Doubles per socket in the addon's tcpSockets() rows (TCP_DUMP_FIELDS in native/diag.h). */
export const DIAG_TCP_FIELDS = 7;

/**
 * The addon's sock_diag records → sockets by inode, as the /proc/net/tcp{,6}
 * join would give them. Pure. A listener's record carries its backlog (the
 * kernel reports it as wqueue), so listen_backlog need not ask again; its
 * tx is 0, as /proc/net/tcp shows it. Each distinct peer is formatted once.
 */
export function parseDiagTcp(rows: ArrayLike<number>, peers: Uint8Array): Map<number, SocketInfo> {
  const names: string[] = [];
  for (let i = 0; i + 16 <= peers.length; i += 16) names.push(formatAddress(peers.subarray(i, i + 16)));
  const out = new Map<number, SocketInfo>();
  for (let i = 0; i + DIAG_TCP_FIELDS <= rows.length; i += DIAG_TCP_FIELDS) {
    const state = rows[i + 2]!;
    const listening = state === TCP_LISTEN;
    const info = inetSocketInfo(rows[i + 1] === 6 ? 'tcp6' : 'tcp', state, rows[i + 3]!, listening ? 0 : rows[i + 4]!);
    if (listening) {
      info.listenPort = rows[i + 5]!;
      info.backlog = rows[i + 4]!;
    } else {
      const peer = names[rows[i + 6]!];
      if (peer !== undefined) info.peer = peer;
    }
    out.set(rows[i]!, info);
  }
  return out;
}

/** The wanted TCP sockets of sockeye's own network namespace, through the addon. Throws when sock_diag fails. */
export function readDiagTcp(addon: FdAddon, wanted: Iterable<number>): Map<number, SocketInfo> {
  const r = addon.tcpSockets(Float64Array.from(wanted));
  return parseDiagTcp(r.rows, new Uint8Array(r.peers));
}
