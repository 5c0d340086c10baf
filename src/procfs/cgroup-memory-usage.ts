import { readProcText } from './read.js';
import { failureKind, ProcParseError } from './errors.js';
import { lines, parseCount, splitFields } from './fields.js';

/** Digits only; values past 2^53 (v1's "no limit" of about 2^63 in memory.stat) are kept approximately. */
const DIGITS = /^\d+$/;
import type { MemoryCgroup } from './cgroup-memory.js';

/**
 * A cgroup "flat keyed" file, one "key value" per line: memory.stat,
 * memory.events (v2), memory.oom_control (v1). Throws on a line of another shape.
 */
export function parseFlatKeyed(text: string, file: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of lines(text)) {
    const f = splitFields(line);
    if (f.length === 0) continue;
    if (f.length !== 2 || !DIGITS.test(f[1]!)) throw new ProcParseError(file, `malformed line ${JSON.stringify(line)}`);
    out.set(f[0]!, Number(f[1]));
  }
  return out;
}

/** memory.current (v2) or memory.usage_in_bytes (v1): one number of bytes. */
export function parseMemoryUsage(text: string, file: string): number {
  const n = parseCount(text.trim());
  if (n === undefined) throw new ProcParseError(file, `expected a number of bytes, got ${JSON.stringify(text.slice(0, 40))}`);
  return n;
}

/**
 * cAdvisor's working set: usage minus the inactive file cache (the page cache
 * the kernel would drop first), floored at 0. v2 memory.stat says
 * inactive_file; v1 total_inactive_file (this cgroup and its descendants, as
 * usage_in_bytes counts them).
 */
export function workingSetBytes(usage: number, stat: ReadonlyMap<string, number>, version: 1 | 2): number {
  const key = version === 2 ? 'inactive_file' : 'total_inactive_file';
  const inactive = stat.get(key);
  if (inactive === undefined) throw new ProcParseError('memory.stat', `no ${key}`);
  return Math.max(0, usage - inactive);
}

export interface CgroupMemoryUsage {
  workingSetBytes: number;
  /** The kernel's count of OOM kills in this cgroup (v2: with its descendants); null when the kernel has none (v1 before 4.13). */
  oomKills: number | null;
}

function readOptional(path: string): string | undefined {
  try {
    return readProcText(path, 'latin1');
  } catch (err) {
    if (failureKind(err) === 'vanished') return undefined;
    throw err;
  }
}

/**
 * Working set and OOM kills of a memory cgroup; undefined for the root
 * cgroup (v2 has no memory.current there, v1's would be the whole machine)
 * or a cgroup that is gone.
 */
export function readCgroupMemoryUsage(cg: MemoryCgroup): CgroupMemoryUsage | undefined {
  const dir = `${cg.mount}${cg.path}`;
  if (cg.version === 1 && cg.path === '') return undefined;
  const usageFile = cg.version === 2 ? 'memory.current' : 'memory.usage_in_bytes';
  const usage = readOptional(`${dir}/${usageFile}`);
  const stat = readOptional(`${dir}/memory.stat`);
  if (usage === undefined || stat === undefined) return undefined;
  const eventsFile = cg.version === 2 ? 'memory.events' : 'memory.oom_control';
  const events = readOptional(`${dir}/${eventsFile}`);
  return {
    workingSetBytes: workingSetBytes(parseMemoryUsage(usage, usageFile), parseFlatKeyed(stat, 'memory.stat'), cg.version),
    oomKills: events === undefined ? null : (parseFlatKeyed(events, eventsFile).get('oom_kill') ?? null),
  };
}
