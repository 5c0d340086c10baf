import { readProcText } from '../read.js';
import { ProcParseError } from '../errors.js';
import { lines } from '../fields.js';

/** A soft/hard limit pair; null means "unlimited". */
export interface Limit {
  soft: number | null;
  hard: number | null;
}

/** /proc/PID/limits by limit name ("Max open files", ...). */
export type PidLimits = Map<string, Limit>;

// "Max open files            1024                 4096                 files"
const ROW = /^(Max [A-Za-z ]+?)\s{2,}(\S+)\s+(\S+)(?:\s+\S+)?\s*$/;

function value(text: string, line: string): number | null {
  if (text === 'unlimited') return null;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isFinite(n)) throw new ProcParseError('limits', `bad value ${JSON.stringify(text)} in ${JSON.stringify(line)}`);
  return n;
}

export function parsePidLimits(text: string): PidLimits {
  const all = lines(text);
  if (!all[0]?.startsWith('Limit')) throw new ProcParseError('limits', 'missing header line');
  const out: PidLimits = new Map();
  for (const line of all.slice(1)) {
    const m = ROW.exec(line);
    if (!m) throw new ProcParseError('limits', `malformed line ${JSON.stringify(line)}`);
    out.set(m[1]!, { soft: value(m[2]!, line), hard: value(m[3]!, line) });
  }
  return out;
}

/** RLIMIT_NOFILE, or undefined when the file does not list it. */
export function openFilesLimit(limits: PidLimits): Limit | undefined {
  return limits.get('Max open files');
}

export function readPidLimits(procRoot: string, pid: number): PidLimits {
  return parsePidLimits(readProcText(`${procRoot}/${pid}/limits`, 'latin1'));
}
