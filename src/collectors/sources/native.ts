import { performance } from 'node:perf_hooks';
import { walkPidFds, type Addon, type TcpDump } from '../../procfs/addon.js';
import { parseDiagTcp } from '../../procfs/net/diag.js';
import type { SocketInfo } from '../../procfs/net/socket-info.js';
import { parseCmdline } from '../../procfs/pid/cmdline.js';
import type { FdSummary } from '../../procfs/pid/fd.js';
import { isProcfs } from '../../procfs/is-procfs.js';
import { readOwnNetNs } from '../../procfs/pid/ns.js';
import { Pool } from '../pool.js';
import type { NamespaceSockets, SocketRead, SourceOptions } from './index.js';
import { joinTables, TextSource } from './text.js';

/** Walks on libuv's pool at once: a zero-config collection on a host walks hundreds of processes. */
const WALKS_AT_ONCE = 2;
/** After a failed dump (a seccomp profile refusing netlink, a kernel without inet_diag), the tables are read this long before the dump is tried again. */
const DIAG_RETRY_MS = 5 * 60_000;

/** The wanted sockets of a dump (which is then freed); `into` as for parseDiagTcp. */
export function selectTcp(addon: Addon, dump: TcpDump, wanted: Iterable<number>, into?: Map<number, SocketInfo>): Map<number, SocketInfo> {
  // The native walk's own Float64Array is passed as it is (no copy).
  const r = addon.tcpSelect(dump, wanted instanceof Float64Array ? wanted : Float64Array.from(wanted));
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

  /** In one piece of work on the pool, not fs.promises.readFile's five: a node agent reads thousands per collection. */
  protected override async readCmdline(pid: number): Promise<string> {
    return parseCmdline(Buffer.from(await this.addon.readFileAsync(`${this.procRoot}/${pid}/cmdline`)).toString('utf8'));
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

  override readSockets(netns: number | undefined, pids: readonly number[]): SocketRead {
    if (netns === undefined || netns !== this.ownNetNs || Date.now() - this.diagFailedAt < DIAG_RETRY_MS) return super.readSockets(netns, pids);
    // The dump needs no inode: it starts now, on libuv's pool, while the fd walk runs on another of its threads.
    const early: { startedAt: number; doneAt?: number } = { startedAt: performance.now() };
    const dump = this.addon.tcpDumpAsync();
    // A dump not taken (no process of the namespace had a socket) is dropped; its memory goes with its wrapper.
    const done = () => (early.doneAt = performance.now());
    dump.then(done, done);
    return {
      early,
      take: async (wanted): Promise<NamespaceSockets> => {
        let dumped: TcpDump;
        try {
          dumped = await dump;
        } catch {
          this.diagFailedAt = Date.now();
          return super.readSockets(netns, pids).take(wanted);
        }
        const found = selectTcp(this.addon, dumped, wanted, this.dumped);
        try {
          joinTables(this.procRoot, pids, wanted, found, ['udp', 'udp6']);
          return { found };
        } catch (error) {
          return { found, error };
        }
      },
    };
  }
}
