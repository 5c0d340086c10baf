// Another process's RSS and CPU time, through sockeye's own /proc parsers.
import { readPidStat, USER_HZ } from '../src/procfs/pid/stat.js';
import { readPidStatus } from '../src/procfs/pid/status.js';

export function rssBytes(pid: number): number {
  return readPidStatus('/proc', pid).residentBytes ?? NaN;
}

export function cpuSeconds(pid: number): number {
  const s = readPidStat('/proc', pid);
  return (s.utimeTicks + s.stimeTicks) / USER_HZ;
}
