import { readProcText } from './read.js';
import { lines } from './fields.js';

/** btime from /proc/stat: boot time in seconds since the epoch, or undefined. */
export function parseBootTime(text: string): number | undefined {
  for (const line of lines(text)) {
    if (line.startsWith('btime ')) {
      const n = Number(line.slice(6).trim());
      return Number.isSafeInteger(n) && n > 0 ? n : undefined;
    }
  }
  return undefined;
}

export function readBootTime(procRoot: string): number | undefined {
  try {
    return parseBootTime(readProcText(`${procRoot}/stat`, 'latin1'));
  } catch {
    return undefined; // start times are then reported in ticks only
  }
}
