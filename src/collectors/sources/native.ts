import { walkPidFds, type Addon } from '../../procfs/addon.js';
import { parseDiagTcp } from '../../procfs/net/diag.js';
import type { SocketInfo } from '../../procfs/net/socket-info.js';
import type { FdSummary } from '../../procfs/pid/fd.js';
import { isProcfs } from '../../procfs/is-procfs.js';
import { readOwnNetNs } from '../../procfs/pid/ns.js';
import { Pool } from '../pool.js';
import type { NamespaceSockets, SourceOptions } from './index.js';
import { joinTables, TextSource } from './text.js';

/** Walks on libuv's pool at once: a zero-config collection on a host walks hundreds of processes. */
const WALKS_AT_ONCE = 2;
/** After a failed dump (a seccomp profile refusing netlink, a kernel without inet_diag), the tables are read this long before the dump is tried again. */
const DIAG_RETRY_MS = 5 * 60_000;

/**
 * The wanted TCP sockets of sockeye's own network namespace through the
 * addon's sock_diag dump, on libuv's pool; `into` as for parseDiagTcp.
 * Rejects when sock_diag fails.
 */
export async function dumpTcp(addon: Addon, wanted: Iterable<number>, into?: Map<number, SocketInfo>): Promise<Map<number, SocketInfo>> {
  // The native walk's own Float64Array is passed as it is (no copy).
  const r = await addon.tcpSocketsAsync(wanted instanceof Float64Array ? wanted : Float64Array.from(wanted));
  return parseDiagTcp(r.rows, new Uint8Array(r.peers), into);
}

/**
 * The kernel through the addon where it does better than text: the fd walk
 * (readdir + readlinkat in C) and the TCP sockets of sockeye's own network
 * namespace (sock_diag: no text formatted, TIME_WAIT skipped in the kernel,
 * the listen backlog included), both on libuv's pool, so the collection runs
 * on the main thread without blocking it. The small per-process files, and
 * the sockets of other namespaces, are read as the text source reads them.
 */
export class NativeSource extends TextSource {
  override readonly kind = 'native' as const;
  private readonly walks = new Pool(WALKS_AT_ONCE);
  /** sockeye's own network namespace, the one sock_diag answers about; undefined for a fixture tree (its processes are not the kernel's). */
  private readonly ownNetNs: number | undefined;
  /**
   * The last dump's map, refilled by the next (parseDiagTcp's `into`): a map
   * of thousands of entries is a large object to V8, collected only by a
   * full GC, and one per collection made bursts of scrapes grow the heap.
   */
  private readonly dumped = new Map<number, SocketInfo>();
  private diagFailedAt = -Infinity;

  constructor(
    options: SourceOptions,
    private readonly addon: Addon,
  ) {
    super(options);
    this.ownNetNs = isProcfs(options.procRoot) ? readOwnNetNs() : undefined;
  }

  override async fdSummaries(pids: readonly number[]): Promise<Map<number, FdSummary | Error>> {
    const out = new Map<number, FdSummary | Error>();
    await this.walks.each(pids, async (pid) => {
      try {
        out.set(pid, await walkPidFds(this.addon, this.procRoot, pid));
      } catch (err) {
        out.set(pid, err as Error);
      }
    });
    return out;
  }

  override async sockets(netns: number | undefined, pids: readonly number[], wanted: Iterable<number>): Promise<NamespaceSockets> {
    if (netns === undefined || netns !== this.ownNetNs || Date.now() - this.diagFailedAt < DIAG_RETRY_MS) return super.sockets(netns, pids, wanted);
    let found: Map<number, SocketInfo>;
    try {
      found = await dumpTcp(this.addon, wanted, this.dumped);
    } catch {
      this.diagFailedAt = Date.now();
      return super.sockets(netns, pids, wanted);
    }
    try {
      joinTables(this.procRoot, pids, wanted, found, ['udp', 'udp6']);
      return { found };
    } catch (error) {
      return { found, error };
    }
  }
}
