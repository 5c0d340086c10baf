// Builds and runs bench/node/floor.c: the system work of one node collection
// and nothing else, timed inside the C program.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileFloorProgram, medianMs, OUT, perRepetition } from '../floor.js';

const SOURCE = fileURLToPath(new URL('./floor.c', import.meta.url));
const BINARY = join(OUT, 'node-floor');

export interface NodeFloorRaw {
  processes: number;
  /** Processes whose fd directory was gone. */
  gone: number;
  namespaces: number;
  fds: number;
  links: number;
  netBytes: number;
  /** TCP sockets the sock_diag dumps returned over every namespace (-1: unavailable). */
  diagSockets: number;
  hostProcesses: number;
  cgroupBytes: number;
  fdWalkNs: number[];
  netReadNs: number[];
  diagNs: number[];
  discoveryNs: number[];
  processFilesNs: number[];
}

export interface NodeFloorResult {
  processes: number;
  namespaces: number;
  fds: number;
  netBytes: number;
  diagSockets: number;
  hostProcesses: number;
  /** medians in ms */
  total: number;
  fdWalk: number;
  netRead: number;
  /** sock_diag dump inside each namespace (setns), instead of the text tables (not part of the floor). */
  diag: number;
  /** fd walk + sock_diag dumps. */
  diagTotal: number;
  /** readdir /proc + /proc/PID/cgroup of every host process: finding the containers (not part of the floor). */
  discovery: number;
  /** stat, status, limits and cmdline of every process: what a collection reads per process besides the fd walk (not part of the floor). */
  processFiles: number;
}

export function buildNodeFloor(): string {
  return compileFloorProgram(SOURCE, BINARY);
}

export function runNodeFloorRaw(files: { pids: string; namespaces: string }, reps: number, warmup = 1): NodeFloorRaw {
  const out = execFileSync(BINARY, [files.pids, files.namespaces, String(reps), String(warmup)], { encoding: 'utf8', maxBuffer: 16 << 20, timeout: 300_000 });
  return JSON.parse(out) as NodeFloorRaw;
}

/** Medians (ms) over the repetitions of one or more runs; sums are per repetition, not sums of medians. */
export function summarizeNodeFloor(runs: NodeFloorRaw[]): NodeFloorResult {
  const all = (k: 'fdWalkNs' | 'netReadNs' | 'diagNs' | 'discoveryNs' | 'processFilesNs') => runs.flatMap((r) => r[k]);
  const fdWalk = all('fdWalkNs');
  const netRead = all('netReadNs');
  const diag = all('diagNs');
  const last = runs.at(-1)!;
  return {
    processes: last.processes - last.gone,
    namespaces: last.namespaces,
    fds: last.fds,
    netBytes: last.netBytes,
    diagSockets: last.diagSockets,
    hostProcesses: last.hostProcesses,
    total: medianMs(perRepetition(fdWalk, netRead)),
    fdWalk: medianMs(fdWalk),
    netRead: medianMs(netRead),
    diag: medianMs(diag),
    diagTotal: medianMs(perRepetition(fdWalk, diag)),
    discovery: medianMs(all('discoveryNs')),
    processFiles: medianMs(all('processFilesNs')),
  };
}
