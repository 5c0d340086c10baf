// The fd walk through the native addon (native/fd.c) when it is built and
// loads, else in JavaScript. Node has no readlinkat: readlinkSync of
// /proc/PID/fd/N resolves the whole path for every fd, and costs ~1.5 µs of JS
// per call on top; the addon does the C floor's readdir + readlinkat and
// returns only the summary. SOCKEYE_NATIVE=0 forces the JS path (tests run both).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { FD_TYPES, emptyFdCounts, readPidFdLinks, summarizeFdLinks, type FdSummary, type FdType } from './fd.js';

/** What native/fd.c exports (its SOCKEYE_FD_ABI is 5). */
/** The addon's fd walk. Paths come as bytes (pathBytes, each ending at pathEnds[i]): decoded here, where a worker's heap limit can stop cleanly. */
export interface FdWalk {
  count: number;
  skipped: number;
  types: Float64Array;
  inodes: Float64Array;
  pathBytes: ArrayBuffer;
  pathEnds: Float64Array;
  pathCounts: Float64Array;
}

export interface FdAddon {
  abi: number;
  walk(dir: string): FdWalk;
  /** The same walk on libuv's thread pool; rejects with the same Node-shaped fs errors. */
  walkAsync(dir: string): Promise<FdWalk>;
  /** TCP listeners of sockeye's network namespace from sock_diag (native/diag.c): (inode, accept queue, backlog) triples. */
  listeners(): Float64Array;
  /**
   * The TCP sockets of sockeye's network namespace whose inode is in `wanted`, from sock_diag (native/diag.c):
   * rows of 7 (inode, family 4|6, state, rqueue, wqueue, local port, peer index or -1), peers as 16-byte addresses.
   */
  tcpSockets(wanted: Float64Array): { rows: Float64Array; peers: ArrayBuffer };
  /** The same dump on libuv's thread pool. */
  tcpSocketsAsync(wanted: Float64Array): Promise<{ rows: Float64Array; peers: ArrayBuffer }>;
  /** [index into FD_TYPES, socket inode or -1]: the classification alone. */
  classify(link: string): [number, number];
}

const ABI = 5;
/** From src/procfs/pid/ and dist/procfs/pid/ alike: the package root's build/. */
export const ADDON_PATH = fileURLToPath(new URL('../../../build/Release/sockeye_fd.node', import.meta.url));

export interface FdWalkMode {
  mode: 'native' | 'js';
  /** Why the JS path is used (unset when native). */
  reason?: string;
}

/** The addon itself, whatever SOCKEYE_NATIVE says; throws, saying why and how to build it, when it is missing or stale. */
export function requireFdAddon(): FdAddon {
  let addon: FdAddon;
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as FdAddon;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
    throw new Error(`${ADDON_PATH} ${missing ? 'is not built' : `failed to load: ${(err as Error).message}`} (npm run build:native; needs python3, make and g++)`);
  }
  if (addon.abi !== ABI) throw new Error(`${ADDON_PATH} is a stale build (abi ${addon.abi}, expected ${ABI}): run npm run build:native`);
  return addon;
}

function load(): { addon?: FdAddon; active: FdWalkMode } {
  if (process.env.SOCKEYE_NATIVE === '0') return { active: { mode: 'js', reason: 'SOCKEYE_NATIVE=0' } };
  try {
    return { addon: requireFdAddon(), active: { mode: 'native' } };
  } catch (err) {
    return { active: { mode: 'js', reason: (err as Error).message } };
  }
}

// Loaded once per thread: the collection worker loads it again for itself.
const loaded = load();
export const fdAddon: FdAddon | undefined = loaded.addon;
export const fdWalkMode: FdWalkMode = loaded.active;

/** One line for the startup log. */
export function describeFdWalk(mode: FdWalkMode = fdWalkMode): string {
  return mode.mode === 'native' ? 'fd walk: native (readdir + readlinkat in C)' : `fd walk: JavaScript (${mode.reason})`;
}

/** The addon's walk → the summary the JS path gives. */
function summaryOf(r: FdWalk): FdSummary {
  const types = emptyFdCounts();
  FD_TYPES.forEach((t: FdType, i) => (types[t] = r.types[i]!));
  const paths = new Map<string, number>();
  // A path's bytes may decode to a string another path already has (invalid UTF-8): merge, as the JS path's Map would.
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

/** The fd summary through the addon; throws Node-shaped fs errors (code ENOENT/EACCES…) like the JS path. */
export function readPidFdSummaryNative(addon: FdAddon, procRoot: string, pid: number): FdSummary {
  return summaryOf(addon.walk(`${procRoot}/${pid}/fd`));
}

/** The same, the walk done on libuv's thread pool: the JS thread only decodes the summary. */
export async function readPidFdSummaryNativeAsync(addon: FdAddon, procRoot: string, pid: number): Promise<FdSummary> {
  return summaryOf(await addon.walkAsync(`${procRoot}/${pid}/fd`));
}

/** The JS path: readdirSync + readlinkSync, then the pure summary. */
export function readPidFdSummaryJs(procRoot: string, pid: number): FdSummary {
  return summarizeFdLinks(readPidFdLinks(procRoot, pid));
}

/** Every fd of `pid` summarized, through whichever path is active. */
export function readPidFdSummary(procRoot: string, pid: number): FdSummary {
  return fdAddon ? readPidFdSummaryNative(fdAddon, procRoot, pid) : readPidFdSummaryJs(procRoot, pid);
}
