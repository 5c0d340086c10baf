import { readProcText } from '../read.js';
import { ProcParseError } from '../errors.js';
import { lines } from '../fields.js';

/** One line of /proc/PID/cgroup: "hierarchy-id:controllers:path". */
export interface CgroupEntry {
  /** 0 for the cgroup v2 unified hierarchy. */
  id: number;
  controllers: string[];
  path: string;
}

export function parsePidCgroup(text: string): CgroupEntry[] {
  return lines(text).map((line) => {
    const a = line.indexOf(':');
    const b = a < 0 ? -1 : line.indexOf(':', a + 1);
    const id = Number(line.slice(0, a));
    if (a < 0 || b < 0 || !/^\d+$/.test(line.slice(0, a)) || !line.slice(b + 1).startsWith('/')) {
      throw new ProcParseError('cgroup', `malformed line ${JSON.stringify(line)}`);
    }
    const controllers = line.slice(a + 1, b);
    return { id, controllers: controllers === '' ? [] : controllers.split(','), path: line.slice(b + 1) };
  });
}

/** The raw text: processes of one container have the same, so callers can cache by it. */
export function readPidCgroupText(procRoot: string, pid: number): string {
  return readProcText(`${procRoot}/${pid}/cgroup`, 'utf8');
}
