// Builds and runs bench/floor/floor.c: the system work of one collection and
// nothing else, timed inside the C program.
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './stats.js';

const BENCH = fileURLToPath(new URL('.', import.meta.url));
export const OUT = join(BENCH, 'out');
const BINARY = join(OUT, 'floor');
// The reads every C floor program shares, and the sock_diag request they share with the addon.
const READS = join(BENCH, 'floor', 'reads.c');
const READS_HEADERS = [join(BENCH, 'floor', 'reads.h'), join(BENCH, '..', 'native', 'sockdiag.h')];

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

/** Compiles C sources of the benchmark with gcc -O2 into `binary` when it is missing or older than a source or a header they name. */
export function compileC(sources: string[], binary: string, headers: string[] = []): string {
  mkdirSync(OUT, { recursive: true });
  let fresh = false;
  try {
    const built = statSync(binary).mtimeMs;
    fresh = [...sources, ...headers].every((f) => built >= statSync(f).mtimeMs);
  } catch {
    // not built yet
  }
  if (!fresh) execFileSync('gcc', ['-O2', '-Wall', '-o', binary, ...sources], { stdio: 'inherit' });
  return binary;
}

/** A C program that times /proc and sock_diag reads (bench/floor/reads.c), built with those reads when stale. */
export function compileFloorProgram(source: string, binary: string): string {
  return compileC([source, READS], binary, READS_HEADERS);
}

/** The floor program, built when stale. */
export function buildFloor(): string {
  return compileFloorProgram(join(BENCH, 'floor', 'floor.c'), BINARY);
}

/** The median of per-repetition times in ns, in ms. */
export function medianMs(ns: readonly number[]): number {
  return median(ns) / 1e6;
}

/** Per-repetition sums of two timings (the median of the sums, not the sum of the medians, is a total). */
export function perRepetition(a: readonly number[], b: readonly number[]): number[] {
  return a.map((t, i) => t + b[i]!);
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
  return {
    fds: last.fds,
    netBytes: last.netBytes,
    statSize: last.statSize,
    total: medianMs(perRepetition(fdWalkNs, netReadNs)),
    fdWalk: medianMs(fdWalkNs),
    netRead: medianMs(netReadNs),
    stat: medianMs(runs.flatMap((r) => r.statNs)),
    fdWalkPaths: medianMs(runs.flatMap((r) => r.fdWalkPathNs)),
    diag: medianMs(diagNs),
    diagSockets: last.diagSockets,
    diagTotal: medianMs(perRepetition(fdWalkNs, diagNs)),
  };
}

export function runFloor(pid: number, reps: number, warmup = 3): FloorResult {
  return summarizeFloor([runFloorRaw(pid, reps, warmup)]);
}
