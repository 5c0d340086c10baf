// Builds and runs bench/floor/floor.c: the system work of one collection and
// nothing else, timed inside the C program.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats.js';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
export const OUT = join(BENCH, 'out');
const SOURCE = join(BENCH, 'floor', 'floor.c');
// The sock_diag request floor.c shares with the addon.
const HEADERS = [join(BENCH, '..', 'native', 'sockdiag.h')];
const BINARY = join(OUT, 'floor');

export interface FloorResult {
  fds: number;
  netBytes: number;
  statSize: number;
  /** medians in ms */
  total: number;
  fdWalk: number;
  netRead: number;
  stat: number;
  /** The fd walk with readlink() on full paths, as Node must do it (not part of the floor). */
  fdWalkPaths: number;
  /** The sock_diag dump of the namespace's TCP sockets that sockeye reads instead of net/tcp{,6} (not part of the floor). */
  diag: number;
  /** Records that dump returned (-1: sock_diag unavailable). */
  diagSockets: number;
  /** readdir + readlinkat and the sock_diag dump: the system work of sockeye's own collection. */
  diagTotal: number;
}

/** Compiles a C source of the benchmark with gcc -O2 into `binary` when it is missing or older than its source or a header it names. */
export function compileC(source: string, binary: string, headers: string[] = []): string {
  mkdirSync(OUT, { recursive: true });
  let fresh = false;
  try {
    const built = statSync(binary).mtimeMs;
    fresh = [source, ...headers].every((f) => built >= statSync(f).mtimeMs);
  } catch {
    // not built yet
  }
  if (!fresh) execFileSync('gcc', ['-O2', '-Wall', '-o', binary, source], { stdio: 'inherit' });
  return binary;
}

/** The floor program, built when stale. */
export function buildFloor(): string {
  return compileC(SOURCE, BINARY, HEADERS);
}

/** Raw per-repetition times (ns) of one floor run. */
export interface FloorRaw {
  fds: number;
  netBytes: number;
  statSize: number;
  fdWalkNs: number[];
  netReadNs: number[];
  statNs: number[];
  fdWalkPathNs: number[];
  diagSockets: number;
  diagNs: number[];
}

export function runFloorRaw(pid: number, reps: number, warmup = 3): FloorRaw {
  const out = execFileSync(BINARY, [String(pid), String(reps), String(warmup)], { encoding: 'utf8', maxBuffer: 16 << 20, timeout: 120_000 });
  return JSON.parse(out) as FloorRaw;
}

/** Medians (ms) over the repetitions of one or more floor runs. */
export function summarizeFloor(runs: FloorRaw[]): FloorResult {
  const fdWalkNs = runs.flatMap((r) => r.fdWalkNs);
  const netReadNs = runs.flatMap((r) => r.netReadNs);
  const diagNs = runs.flatMap((r) => r.diagNs);
  const last = runs.at(-1)!;
  const toMs = (ns: number) => ns / 1e6;
  return {
    fds: last.fds,
    netBytes: last.netBytes,
    statSize: last.statSize,
    // The median of per-repetition sums, not the sum of medians.
    total: toMs(median(fdWalkNs.map((t, i) => t + netReadNs[i]!))),
    fdWalk: toMs(median(fdWalkNs)),
    netRead: toMs(median(netReadNs)),
    stat: toMs(median(runs.flatMap((r) => r.statNs))),
    fdWalkPaths: toMs(median(runs.flatMap((r) => r.fdWalkPathNs))),
    diag: toMs(median(diagNs)),
    diagSockets: last.diagSockets,
    diagTotal: toMs(median(fdWalkNs.map((t, i) => t + diagNs[i]!))),
  };
}

export function runFloor(pid: number, reps: number, warmup = 3): FloorResult {
  return summarizeFloor([runFloorRaw(pid, reps, warmup)]);
}
