import { readProcText } from '../read.js';
import { ProcParseError } from '../errors.js';
import { parseCount } from '../fields.js';

/** The fields of /proc/PID/stat that sockeye uses. Times are clock ticks. */
export interface PidStat {
  pid: number;
  comm: string;
  /** One letter: R, S, D, Z (zombie), X (dead), ... */
  state: string;
  ppid: number;
  /** Kernel task flags; PF_KTHREAD marks kernel threads. */
  flags: number;
  utimeTicks: number;
  stimeTicks: number;
  threads: number;
  /** Start time in clock ticks after boot: with the pid, the process identity. */
  starttimeTicks: number;
  /** Resident set size in pages (field 24): ranks the zero-config groups without another read. */
  rssPages: number;
}

const PF_KTHREAD = 0x00200000;

/** Linux reports CPU times in USER_HZ, which is 100 on every mainstream architecture. */
export const USER_HZ = 100;

export function isKernelThread(stat: PidStat): boolean {
  return (stat.flags & PF_KTHREAD) !== 0;
}

export function parsePidStat(text: string): PidStat {
  // comm may contain spaces and parentheses: it ends at the last ')'.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new ProcParseError('stat', 'no "(comm)" field');
  const pid = parseCount(text.slice(0, open).trim());
  const rest = text.slice(close + 2).trim().split(' ');
  // rest[0] is field 3 (state); starttime is field 22.
  const field = (n: number) => parseCount(rest[n - 3]);
  const ppid = field(4);
  const flags = field(9);
  const utime = field(14);
  const stime = field(15);
  const threads = field(20);
  const starttime = field(22);
  const rss = field(24);
  if (pid === undefined || ppid === undefined || flags === undefined || utime === undefined || stime === undefined || threads === undefined || starttime === undefined || rss === undefined) {
    throw new ProcParseError('stat', `truncated or malformed (${rest.length + 2} fields)`);
  }
  return { pid, comm: text.slice(open + 1, close), state: rest[0] ?? '?', ppid, flags, utimeTicks: utime, stimeTicks: stime, threads, starttimeTicks: starttime, rssPages: rss };
}

export function readPidStat(procRoot: string, pid: number): PidStat {
  return parsePidStat(readProcText(`${procRoot}/${pid}/stat`, 'latin1'));
}
