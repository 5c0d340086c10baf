// The floor's system work done from Node, with no parsing: readdirSync +
// readlinkSync over /proc/PID/fd, and /proc/PID/net/tcp{,6} read two ways —
// readFileSync (which reads a size-0 /proc file in 64 KiB chunks) and
// readSync into one reused 4 MiB buffer. The gap to the C floor is what Node's
// fs calls cost; the gap from here to sockeye is parsing and aggregation.
// Beside them, sockeye's native addon (native/fd.c): the floor's readdir +
// readlinkat, with the summary the fd collector needs built in C.
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync } from 'node:fs';
import { requireAddon, walkPidFds, type Addon } from '../src/procfs/addon.js';
import { median } from './stats.js';

/** Loaded whatever SOCKEYE_NATIVE says, so its row is there in a run that forces the JS path; undefined when not built. */
function loadAddon(): Addon | undefined {
  try {
    return requireAddon();
  } catch {
    return undefined;
  }
}

const BUFFER = Buffer.allocUnsafe(4 << 20);

/** Whole file through one reused buffer; grows into extra chunks only past 4 MiB. */
export function readLarge(path: string): number {
  const fd = openSync(path, 'r');
  let total = 0;
  try {
    for (;;) {
      const n = readSync(fd, BUFFER, 0, BUFFER.length, null);
      if (n <= 0) break;
      total += n;
    }
  } finally {
    closeSync(fd);
  }
  return total;
}

export interface NodeFloor {
  fdWalk: number;
  /** The native addon's walk and summary, as the fd collector gets it (NaN when the addon is not built). */
  fdWalkNative: number;
  netReadFile: number;
  netReadLarge: number;
}

/** Medians in ms; the two read strategies alternate so machine noise hits both alike. */
export async function runNodeFloor(pid: number, reps: number, warmup = 3): Promise<NodeFloor> {
  const dir = `/proc/${pid}/fd`;
  const net = [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`];
  const addon = loadAddon();
  const fdWalk: number[] = [];
  const fdWalkNative: number[] = [];
  const netReadFile: number[] = [];
  const netReadLarge: number[] = [];
  for (let i = -warmup; i < reps; i++) {
    const t0 = performance.now();
    for (const name of readdirSync(dir)) {
      try {
        readlinkSync(`${dir}/${name}`);
      } catch {
        // closed between readdir and readlink
      }
    }
    const t1 = performance.now();
    for (const f of net) readFileSync(f);
    const t2 = performance.now();
    for (const f of net) readLarge(f);
    const t3 = performance.now();
    if (addon) await walkPidFds(addon, '/proc', pid);
    const t4 = performance.now();
    if (i >= 0) {
      fdWalk.push(t1 - t0);
      fdWalkNative.push(addon ? t4 - t3 : NaN);
      netReadFile.push(t2 - t1);
      netReadLarge.push(t3 - t2);
    }
  }
  return { fdWalk: median(fdWalk), fdWalkNative: median(fdWalkNative), netReadFile: median(netReadFile), netReadLarge: median(netReadLarge) };
}
