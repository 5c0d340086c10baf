import { tcpStateName } from '../procfs/net/tcp.js';
import { udpStateName } from '../procfs/net/udp.js';
import type { SocketInfo } from './context.js';

export type InetProtocol = 'tcp' | 'tcp6' | 'udp' | 'udp6';

// After the peer's FIN, rx_queue (rcv_nxt - copied_seq) includes the one
// sequence number the FIN takes: not a byte anyone can read.
const FIN_RECEIVED = new Set([8 /* close_wait */, 9 /* last_ack */, 11 /* closing */]);

/**
 * A TCP or UDP socket from the kernel's numbers, which /proc/net/* rows and
 * sock_diag records give alike (state, rcv_nxt - copied_seq, write_seq - snd_una).
 */
export function inetSocketInfo(protocol: InetProtocol, state: number, rxQueue: number, txQueue: number): SocketInfo {
  const tcp = protocol === 'tcp' || protocol === 'tcp6';
  const rx = tcp && FIN_RECEIVED.has(state) ? Math.max(0, rxQueue - 1) : rxQueue;
  return { protocol, state: tcp ? tcpStateName(state) : udpStateName(state), rx, tx: txQueue };
}
