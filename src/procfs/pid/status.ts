import { readProcText } from '../read.js';
import { ProcParseError } from '../errors.js';
import { lines, parseCount, splitFields } from '../fields.js';

/** The fields of /proc/PID/status that sockeye uses. */
export interface PidStatus {
  name: string;
  /** Real uid; whose /proc/PID/fd we may read depends on it. */
  uid: number;
  threads: number;
  /** VmRSS in bytes; absent for kernel threads and zombies. */
  residentBytes: number | undefined;
}

export function parsePidStatus(text: string): PidStatus {
  let name: string | undefined;
  let uid: number | undefined;
  let threads: number | undefined;
  let rss: number | undefined;
  for (const line of lines(text)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const key = line.slice(0, colon);
    const value = line.slice(colon + 1);
    switch (key) {
      case 'Name':
        name = value.trim();
        break;
      case 'Uid':
        uid = parseCount(splitFields(value)[0]);
        break;
      case 'Threads':
        threads = parseCount(value.trim());
        break;
      case 'VmRSS': {
        const [n, unit] = splitFields(value);
        const kb = parseCount(n);
        if (kb === undefined || unit !== 'kB') throw new ProcParseError('status', `VmRSS: expected "N kB", got ${JSON.stringify(value.trim())}`);
        rss = kb * 1024;
        break;
      }
    }
  }
  if (name === undefined || uid === undefined || threads === undefined) {
    throw new ProcParseError('status', `missing ${[name === undefined && 'Name', uid === undefined && 'Uid', threads === undefined && 'Threads'].filter(Boolean).join(', ')}`);
  }
  return { name, uid, threads, residentBytes: rss };
}

export function readPidStatus(procRoot: string, pid: number): PidStatus {
  return parsePidStatus(readProcText(`${procRoot}/${pid}/status`, 'latin1'));
}
