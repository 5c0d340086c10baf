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
}

/** Compiles a C source of the benchmark with gcc -O2 into `binary` when it is missing or older than its source. */
export function compileC(source: string, binary: string): string {
  mkdirSync(OUT, { recursive: true });
  let fresh = false;
  try {
    fresh = statSync(binary).mtimeMs >= statSync(source).mtimeMs;
  } catch {
    // not built yet
  }
  if (!fresh) execFileSync('gcc', ['-O2', '-Wall', '-o', binary, source], { stdio: 'inherit' });
  return binary;
}

/** The floor program, built when stale. */
export function buildFloor(): string {
  return compileC(SOURCE, BINARY);
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
}

export function runFloorRaw(pid: number, reps: number, warmup = 3): FloorRaw {
  const out = execFileSync(BINARY, [String(pid), String(reps), String(warmup)], { encoding: 'utf8', maxBuffer: 16 << 20, timeout: 120_000 });
  return JSON.parse(out) as FloorRaw;
}

/** Medians (ms) over the repetitions of one or more floor runs. */
export function summarizeFloor(runs: FloorRaw[]): FloorResult {
  const fdWalkNs = runs.flatMap((r) => r.fdWalkNs);
  const netReadNs = runs.flatMap((r) => r.netReadNs);
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
  };
}

export function runFloor(pid: number, reps: number, warmup = 3): FloorResult {
  return summarizeFloor([runFloorRaw(pid, reps, warmup)]);
}
