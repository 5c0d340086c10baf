// Another process's RSS and CPU time, through sockeye's own /proc parsers.
import { readFileSync } from 'node:fs';
import { readPidStat, USER_HZ } from '../src/procfs/pid/stat.js';
import { readPidStatus } from '../src/procfs/pid/status.js';

export function rssBytes(pid: number): number {
  return readPidStatus('/proc', pid).residentBytes ?? NaN;
}

/**
 * RssAnon: resident memory that is the process's own (heap, stacks), without
 * the shared file pages of the node binary and libraries that RSS includes.
 */
export function rssAnonBytes(pid: number): number {
  const m = /^RssAnon:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) * 1024 : NaN;
}

export function cpuSeconds(pid: number): number {
  const s = readPidStat('/proc', pid);
  return (s.utimeTicks + s.stimeTicks) / USER_HZ;
}
