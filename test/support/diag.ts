import { selectTcp } from '../../src/collectors/sources/native.js';
import type { Addon } from '../../src/procfs/addon.js';
import type { SocketInfo } from '../../src/procfs/net/socket-info.js';

/** The wanted TCP sockets of this namespace through one sock_diag dump, as the native source takes them. Rejects when sock_diag fails. */
export async function dumpTcp(addon: Addon, wanted: Iterable<number>): Promise<Map<number, SocketInfo>> {
  return selectTcp(addon, await addon.tcpDumpAsync(), wanted);
}
