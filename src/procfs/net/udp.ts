import { readProcLines } from '../read.js';
import { InetTableParser, parseInetTable, type InetSocket } from './inet.js';
import { tcpStateName } from './tcp.js';

// UDP reuses the TCP state numbers: 1 (established) for a connected socket,
// 7 (close) for an unconnected one.
export const udpStateName = tcpStateName;

export function parseNetUdp(text: string, wanted?: { has(inode: number): boolean }): InetSocket[] {
  return parseInetTable(text, 'net/udp', wanted);
}

/** /proc/PID/net/udp or udp6 (the namespace of PID). */
export function readNetUdp(procRoot: string, pid: number, family: 'udp' | 'udp6', wanted?: { has(inode: number): boolean }): InetSocket[] {
  const p = new InetTableParser(`net/${family}`, wanted);
  readProcLines(`${procRoot}/${pid}/net/${family}`, (b, s, e) => p.push(b, s, e));
  return p.end();
}
