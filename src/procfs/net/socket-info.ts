import type { InetFamily } from './inet.js';
import { tcpStateName } from './tcp.js';
import { udpStateName } from './udp.js';

export type SocketProtocol = InetFamily | 'unix' | 'other';

/** One socket of a process, after the inode join with its network namespace's sockets. */
export interface SocketInfo {
  protocol: SocketProtocol;
  state: string;
  /** The remote address as text (no port), for connected TCP sockets. */
  peer?: string;
  rx: number;
  tx: number;
  /** Set for listening TCP sockets. */
  listenPort?: number;
  /** The listen backlog, where the read gave it (sock_diag does; /proc/net/tcp does not). */
  backlog?: number;
}

// After the peer's FIN, rx_queue (rcv_nxt - copied_seq) includes the one
// sequence number the FIN takes: not a byte anyone can read.
const FIN_RECEIVED = new Set([8 /* close_wait */, 9 /* last_ack */, 11 /* closing */]);

/**
 * A TCP or UDP socket from the kernel's numbers, which /proc/net/* rows and
 * sock_diag records give alike (state, rcv_nxt - copied_seq, write_seq - snd_una).
 */
export function inetSocketInfo(protocol: InetFamily, state: number, rxQueue: number, txQueue: number): SocketInfo {
  const tcp = protocol === 'tcp' || protocol === 'tcp6';
  const rx = tcp && FIN_RECEIVED.has(state) ? Math.max(0, rxQueue - 1) : rxQueue;
  return { protocol, state: tcp ? tcpStateName(state) : udpStateName(state), rx, tx: txQueue };
}

/**
 * One shared record for every idle socket (empty queues, not listening) with
 * the same protocol, state and peer: a target holding thousands of
 * connections to a few peers then costs a few objects per collection, not
 * one each, and aggregation handles each record once with its multiplicity.
 * Records are never changed after they are made (only listeners get a
 * backlog, and listeners are never shared).
 */
export class SocketInterner {
  private readonly idle = new Map<InetFamily, Map<number, Map<string | undefined, SocketInfo>>>();

  /** The shared record of an idle socket of (protocol, state, peer). */
  idleSocket(protocol: InetFamily, state: number, peer: string | undefined): SocketInfo {
    let byState = this.idle.get(protocol);
    if (!byState) this.idle.set(protocol, (byState = new Map()));
    let byPeer = byState.get(state);
    if (!byPeer) byState.set(state, (byPeer = new Map()));
    let s = byPeer.get(peer);
    if (!s) {
      s = inetSocketInfo(protocol, state, 0, 0);
      if (peer !== undefined) s.peer = peer;
      byPeer.set(peer, s);
    }
    return s;
  }
}
