import { readdirSync } from 'node:fs';
import { findMemoryCgroup, readCgroupMemoryLimit } from '../../procfs/cgroup-memory.js';
import { readCgroupMemoryUsage } from '../../procfs/cgroup-memory-usage.js';
import { failureKind } from '../../procfs/errors.js';
import { decodeAddress, isZeroAddress, readInetTable, type InetFamily, type InetSocket } from '../../procfs/net/inet.js';
import { inetSocketInfo, SocketInterner, type SocketInfo } from '../../procfs/net/socket-info.js';
import { readSsListen } from '../../procfs/net/ss-listen.js';
import { TCP_LISTEN } from '../../procfs/net/tcp.js';
import { readNetUnix } from '../../procfs/net/unix.js';
import { findNamespaceRoots, toHostView, type NamespaceRoots } from '../../procfs/cgroup-ns.js';
import { parsePidCgroup, readPidCgroupText } from '../../procfs/pid/cgroup.js';
import { readPidCmdline } from '../../procfs/pid/cmdline.js';
import { readPidExe } from '../../procfs/pid/exe.js';
import { readPidFdSummary, statPidFdCount, type FdSummary } from '../../procfs/pid/fd.js';
import { openFilesLimit, readPidLimits, type Limit } from '../../procfs/pid/limits.js';
import { readOwnNetNs, readPidNetNs } from '../../procfs/pid/ns.js';
import { readPidStat, type PidStat } from '../../procfs/pid/stat.js';
import { readPidStatus, type PidStatus } from '../../procfs/pid/status.js';
import { readBootTime } from '../../procfs/stat.js';
import type { CgroupMemory } from '../memory.js';
import { Pool } from '../pool.js';
import type { KernelSource, NamespaceSockets, SocketRead, SourceOptions } from './index.js';

// Reading /proc/PID/cmdline takes the process's memory-map lock: while the
// process is stuck holding it (a page fault on a hung NFS mount, a huge
// munmap), the read blocks — the case of the `ps` that hangs. So command
// lines are read on libuv's pool, at most READS_AT_ONCE at a time, each
// process with at most one read in flight, and a collection waits for them
// only CMDLINE_WAIT_MS.

/** How long a collection waits for command lines. */
const CMDLINE_WAIT_MS = 2000;
/** Command-line reads in flight at once, those still pending from earlier collections included. */
const READS_AT_ONCE = 2;

/** A command line that could not be read in time: its read is still pending, or others' are. */
class CmdlineStuck extends Error {
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly path: string,
    waitMs: number,
    ownRead: boolean,
  ) {
    super(
      ownRead
        ? `${path} not read within ${waitMs} ms: the process may be stuck holding its memory-map lock (its read is left pending, and not started again until it returns)`
        : `${path} not read: ${READS_AT_ONCE} reads of other processes' command lines are still pending (processes stuck holding their memory-map lock)`,
    );
    this.name = 'CmdlineStuck';
  }
}

/** A socket in none of the tables (netlink, packet, another namespace's): one shared, never-changed record. */
export const UNKNOWN_SOCKET: SocketInfo = Object.freeze({ protocol: 'other', state: 'unknown', rx: 0, tx: 0 });

function tableSocket(family: InetFamily, row: InetSocket, interner: SocketInterner, peers: Map<string, string | undefined>): SocketInfo {
  const tcp = family === 'tcp' || family === 'tcp6';
  const listening = tcp && row.state === TCP_LISTEN;
  let peer: string | undefined;
  if (tcp && !listening && !isZeroAddress(row.remoteHex)) {
    // Peers repeat: each distinct one decoded once.
    if (peers.has(row.remoteHex)) peer = peers.get(row.remoteHex);
    else peers.set(row.remoteHex, (peer = decodeAddress(row.remoteHex) ?? row.remoteHex));
  }
  if (!listening && row.rxQueue === 0 && row.txQueue === 0) return interner.idleSocket(family, row.state, peer);
  const info = inetSocketInfo(family, row.state, row.rxQueue, row.txQueue);
  if (listening) info.listenPort = row.localPort;
  else if (peer !== undefined) info.peer = peer;
  return info;
}

/** Reads one table through the first of `pids` (one namespace) still there. */
function readThroughFirst(pids: readonly number[], read: (pid: number) => void): void {
  for (const pid of pids) {
    try {
      read(pid);
      return;
    } catch (err) {
      // tcp6/udp6 are absent with IPv6 disabled: no sockets there.
      if (failureKind(err) !== 'vanished') throw err;
    }
  }
}

/**
 * The /proc/net tables of one namespace joined to the wanted inodes not in
 * `found` yet, added to it. A socket is a row of exactly one table: once every
 * inode is found the rest are not read (an IPv4-only app never pays for the
 * tcp6 walk). Throws when a table cannot be read (what was found stays).
 */
export function joinTables(procRoot: string, pids: readonly number[], wanted: Iterable<number>, found: Map<number, SocketInfo>, families: readonly InetFamily[]): void {
  const absent = new Set<number>();
  for (const inode of wanted) if (!found.has(inode)) absent.add(inode);
  const interner = new SocketInterner();
  const peers = new Map<string, string | undefined>();
  for (const family of families) {
    if (absent.size === 0) return;
    readThroughFirst(pids, (pid) => {
      for (const row of readInetTable(procRoot, pid, family, absent)) {
        absent.delete(row.inode);
        found.set(row.inode, tableSocket(family, row, interner, peers));
      }
    });
  }
  if (absent.size === 0) return;
  readThroughFirst(pids, (pid) => {
    for (const row of readNetUnix(procRoot, pid, absent)) found.set(row.inode, { protocol: 'unix', state: row.state, rx: 0, tx: 0 });
  });
}

/**
 * The kernel through /proc files only: for fixture trees, hosts without the
 * addon, and network namespaces other than sockeye's. Its fd walk and table
 * reads are synchronous, so it runs in the collection worker.
 */
export class TextSource implements KernelSource {
  readonly kind: 'native' | 'text' = 'text';
  readonly procRoot: string;
  readonly cgroupRoot: string;
  private readonly cmdlineReads = new Pool(READS_AT_ONCE);
  /** Command-line reads still pending, by path (since an earlier collection, when stuck). */
  private readonly cmdlinesPending = new Set<string>();
  /** Listen backlogs by socket inode: fixed by listen(), so `ss` is asked only when a new listener appears. */
  private readonly backlogs = new Map<number, number>();

  /** Node mode in a cgroup namespace of its own: where its root is in the host's hierarchies (found on first use; null: paths are read as they are). */
  private namespaceRoots: NamespaceRoots | null | undefined;

  constructor(options: SourceOptions) {
    this.procRoot = options.procRoot;
    this.cgroupRoot = options.cgroupRoot;
    if (!options.hostCgroups) this.namespaceRoots = null;
  }

  pids(): number[] {
    const pids: number[] = [];
    for (const name of readdirSync(this.procRoot)) {
      const c = name.charCodeAt(0);
      if (c >= 48 && c <= 57 && /^\d+$/.test(name)) pids.push(Number(name));
    }
    return pids.sort((a, b) => a - b);
  }

  stat(pid: number): PidStat {
    return readPidStat(this.procRoot, pid);
  }

  status(pid: number): PidStatus {
    return readPidStatus(this.procRoot, pid);
  }

  openFilesLimit(pid: number): Limit | undefined {
    return openFilesLimit(readPidLimits(this.procRoot, pid));
  }

  cgroup(pid: number): string {
    const text = readPidCgroupText(this.procRoot, pid);
    if (this.namespaceRoots === undefined) this.namespaceRoots = findNamespaceRoots(this.procRoot, this.cgroupRoot) ?? null;
    return this.namespaceRoots === null ? text : toHostView(text, this.namespaceRoots);
  }

  cgroupMemory(cgroupText: string): CgroupMemory {
    const entries = parsePidCgroup(cgroupText);
    const out: CgroupMemory = { limitBytes: readCgroupMemoryLimit(this.cgroupRoot, entries) };
    const cg = findMemoryCgroup(this.cgroupRoot, entries);
    if (!cg) return out;
    out.dir = `${cg.mount}${cg.path}`;
    const usage = readCgroupMemoryUsage(cg);
    if (usage) {
      out.workingSetBytes = usage.workingSetBytes;
      out.oomKills = usage.oomKills;
    }
    return out;
  }

  exe(pid: number): string {
    return readPidExe(this.procRoot, pid);
  }

  netns(pid: number): number | undefined {
    return readPidNetNs(this.procRoot, pid);
  }

  bootTime(): number | undefined {
    return readBootTime(this.procRoot);
  }

  async cmdlines(pids: readonly number[]): Promise<Map<number, string | Error>> {
    const out = new Map<number, string | Error>();
    const pathOf = (pid: number) => `${this.procRoot}/${pid}/cmdline`;
    await this.cmdlineReads.each(
      pids,
      async (pid) => {
        const path = pathOf(pid);
        if (this.cmdlinesPending.has(path)) return; // still pending since an earlier collection
        this.cmdlinesPending.add(path);
        try {
          out.set(pid, await this.readCmdline(pid));
        } catch (err) {
          out.set(pid, err as Error);
        } finally {
          this.cmdlinesPending.delete(path);
        }
      },
      CMDLINE_WAIT_MS,
    );
    // A read that settles later must not change what this collection saw.
    const seen = new Map<number, string | Error>();
    for (const pid of pids) seen.set(pid, out.get(pid) ?? new CmdlineStuck(pathOf(pid), CMDLINE_WAIT_MS, this.cmdlinesPending.has(pathOf(pid))));
    return seen;
  }

  /** One command line, read on libuv's pool (the read can block: see above). */
  protected readCmdline(pid: number): Promise<string> {
    return readPidCmdline(this.procRoot, pid);
  }

  fdCount(pid: number): number | undefined {
    return statPidFdCount(this.procRoot, pid);
  }

  async fdSummaries(pids: readonly number[]): Promise<Map<number, FdSummary | Error>> {
    const out = new Map<number, FdSummary | Error>();
    for (const pid of pids) {
      try {
        out.set(pid, readPidFdSummary(this.procRoot, pid));
      } catch (err) {
        out.set(pid, err as Error);
      }
    }
    return out;
  }

  readSockets(_netns: number | undefined, pids: readonly number[]): SocketRead {
    return {
      take: async (wanted): Promise<NamespaceSockets> => {
        const found = new Map<number, SocketInfo>();
        try {
          joinTables(this.procRoot, pids, wanted, found, ['tcp', 'tcp6', 'udp', 'udp6']);
          return { found };
        } catch (error) {
          return { found, error };
        }
      },
    };
  }

  listenBacklogs(netns: number | undefined, listeners: readonly number[]): Map<number, number> {
    // `ss` answers for sockeye's own network namespace only (a sidecar shares its pod's).
    if (netns === undefined || netns !== readOwnNetNs()) return new Map();
    if (listeners.some((inode) => !this.backlogs.has(inode))) {
      const rows = readSsListen();
      if (rows) for (const inode of listeners) {
        const row = rows.get(inode);
        if (row) this.backlogs.set(inode, row.backlog);
      }
    }
    const now = new Set(listeners);
    for (const inode of this.backlogs.keys()) if (!now.has(inode)) this.backlogs.delete(inode);
    return this.backlogs;
  }
}
