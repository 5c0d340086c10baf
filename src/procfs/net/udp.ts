import { parseInetTable, readInetTable, type InetSocket } from './inet.js';
import { tcpStateName } from './tcp.js';

// UDP reuses the TCP state numbers: 1 (established) for a connected socket,
// 7 (close) for an unconnected one.
export const udpStateName = tcpStateName;

export function parseNetUdp(text: string, wanted?: { has(inode: number): boolean }): InetSocket[] {
  return parseInetTable(text, 'net/udp', wanted);
}

/** /proc/PID/net/udp or udp6 (the namespace of PID). */
export function readNetUdp(procRoot: string, pid: number, family: 'udp' | 'udp6', wanted?: { has(inode: number): boolean }): InetSocket[] {
  return readInetTable(procRoot, pid, family, wanted);
}
