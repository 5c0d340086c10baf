// The native addon (native/fd.c, native/diag.c, native/read.c): the fd walk
// (readdir + readlinkat, which Node cannot do: readlinkSync resolves the whole
// path per fd), the sock_diag dump of TCP sockets (Node cannot open netlink),
// and whole-file reads in one trip through the pool (command lines). All run
// on libuv's thread pool. Which source uses it is decided in
// collectors/sources/index.ts.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { FD_TYPES, emptyFdCounts, type FdSummary, type FdType } from './pid/fd.js';

/** The addon's fd walk. Paths come as bytes (pathBytes, each ending at pathEnds[i]), decoded here. */
export interface FdWalk {
  count: number;
  skipped: number;
  types: Float64Array;
  inodes: Float64Array;
  pathBytes: ArrayBuffer;
  pathEnds: Float64Array;
  pathCounts: Float64Array;
}

/** A sock_diag dump held in C until selected from (an opaque external). */
export interface TcpDump {
  readonly brand: 'sock_diag dump';
}

/** What native/fd.c exports (its SOCKEYE_FD_ABI). */
export interface Addon {
  abi: number;
  /** The walk of an fd directory on libuv's pool; rejects with Node-shaped fs errors (code, syscall, path). */
  walkAsync(dir: string): Promise<FdWalk>;
  /** A whole file's bytes, opened, read and closed in one piece of work on libuv's pool; rejects with Node-shaped fs errors. */
  readFileAsync(path: string): Promise<ArrayBuffer>;
  /** Every TCP socket of sockeye's network namespace that a process can hold, dumped on libuv's pool and kept in C. */
  tcpDumpAsync(): Promise<TcpDump>;
  /**
   * The sockets of `dump` whose inode is in `wanted`, each once: rows of DIAG_TCP_FIELDS (net/diag.ts),
   * peers as 16-byte addresses. Frees the dump: a second select from it throws.
   */
  tcpSelect(dump: TcpDump, wanted: Float64Array): { rows: Float64Array; peers: ArrayBuffer };
  /** [index into FD_TYPES, socket inode or -1]: the classification alone (for the agreement test). */
  classify(link: string): [number, number];
}

const ABI = 8;
/** From src/procfs/ and dist/procfs/ alike: the package root's build/. */
const ADDON_PATH = fileURLToPath(new URL('../../build/Release/sockeye_fd.node', import.meta.url));

/** The addon; throws, saying why and how to build it, when it is missing or stale. */
export function requireAddon(): Addon {
  let addon: Addon;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as Addon;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
    throw new Error(`${ADDON_PATH} ${missing ? 'is not built' : `failed to load: ${(err as Error).message}`} (npm run build:native; needs python3, make and g++)`);
  }
  if (addon.abi !== ABI) throw new Error(`${ADDON_PATH} is a stale build (abi ${addon.abi}, expected ${ABI}): run npm run build:native`);
  return addon;
}

/** The fd summary of `pid` through the addon, the walk on libuv's pool: the JS thread only decodes it. */
export async function walkPidFds(addon: Addon, procRoot: string, pid: number): Promise<FdSummary> {
  const r = await addon.walkAsync(`${procRoot}/${pid}/fd`);
  const types = emptyFdCounts();
  FD_TYPES.forEach((t: FdType, i) => (types[t] = r.types[i]!));
  const paths = new Map<string, number>();
  // A path's bytes may decode to a string another path already has (invalid UTF-8): merge, as the JS walk's Map would.
  const bytes = Buffer.from(r.pathBytes);
  let start = 0;
  for (let i = 0; i < r.pathEnds.length; i++) {
    const end = r.pathEnds[i]!;
    const p = bytes.toString('utf8', start, end);
    paths.set(p, (paths.get(p) ?? 0) + r.pathCounts[i]!);
    start = end;
  }
  return { count: r.count, types, paths, socketInodes: r.inodes };
}
