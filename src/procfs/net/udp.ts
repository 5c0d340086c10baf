import { tcpStateName } from './tcp.js';

// UDP reuses the TCP state numbers: 1 (established) for a connected socket,
// 7 (close) for an unconnected one.
export const udpStateName = tcpStateName;
