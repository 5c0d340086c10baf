import { existsSync } from 'node:fs';
import { readProcText } from './read.js';
import type { CgroupEntry } from './pid/cgroup.js';

// Values at or above this are the kernel's "no limit" (v1 prints
// PAGE_COUNTER_MAX * PAGE_SIZE, about 2^63; v2 prints "max").
const UNLIMITED = 2 ** 62;

/** memory.max (v2) or memory.limit_in_bytes (v1) text → bytes, or null for no limit. */
export function parseMemoryLimit(text: string): number | null | undefined {
  const t = text.trim();
  if (t === 'max') return null;
  if (!/^\d+$/.test(t)) return undefined;
  const n = Number(t);
  return n >= UNLIMITED ? null : n;
}

/** Where a process's memory cgroup is: the controller's mount and the path under it ("" for the mount root). */
export interface MemoryCgroup {
  version: 1 | 2;
  mount: string;
  path: string;
}

/** Mounts that may hold the memory controller for one /proc/PID/cgroup entry, under the cgroup mount root. */
function candidates(cgroupRoot: string, entry: CgroupEntry): Array<{ version: 1 | 2; mount: string; file: string }> {
  if (entry.id === 0 && entry.controllers.length === 0) {
    // v2: the root itself is the unified mount, or (hybrid layout) its unified/ child.
    return [
      { version: 2, mount: `${cgroupRoot}`, file: 'memory.max' },
      { version: 2, mount: `${cgroupRoot}/unified`, file: 'memory.max' },
    ];
  }
  if (entry.controllers.includes('memory')) return [{ version: 1, mount: `${cgroupRoot}/memory`, file: 'memory.limit_in_bytes' }];
  return [];
}

function trimSlash(path: string): string {
  return path === '/' ? '' : path.replace(/\/+$/, '');
}

/**
 * The memory cgroup of a process (from its /proc/PID/cgroup entries), if
 * visible from here: the first hierarchy whose memory files exist there (v1
 * with its memory controller, else v2 with memory enabled).
 */
export function findMemoryCgroup(cgroupRoot: string, entries: CgroupEntry[]): MemoryCgroup | undefined {
  for (const entry of entries) {
    for (const { version, mount, file } of candidates(cgroupRoot, entry)) {
      const path = trimSlash(entry.path);
      if (existsSync(`${mount}${path}/${file}`) || (path === '' && existsSync(`${mount}/${file}`))) return { version, mount, path };
    }
  }
  return undefined;
}

/**
 * The effective memory limit of a process: the lowest limit on its cgroup and
 * its ancestors. null when there is none (or its cgroup is not visible from
 * here, e.g. another cgroup namespace): then no series is exported.
 */
export function readCgroupMemoryLimit(cgroupRoot: string, entries: CgroupEntry[]): number | null {
  const cg = findMemoryCgroup(cgroupRoot, entries);
  return cg ? readLimitUpwards(cg) : null;
}

/** The lowest limit on the cgroup and its ancestors up to the mount root; a missing file (the v2 root has no memory.max) is no limit. */
function readLimitUpwards({ version, mount, path: leaf }: MemoryCgroup): number | null {
  const file = version === 2 ? 'memory.max' : 'memory.limit_in_bytes';
  let best: number | null = null;
  let path = leaf;
  for (;;) {
    let text: string | undefined;
    try {
      text = readProcText(`${mount}${path}/${file}`, 'latin1');
    } catch {
      text = undefined;
    }
    const limit = text === undefined ? null : parseMemoryLimit(text);
    if (limit !== null && limit !== undefined && (best === null || limit < best)) best = limit;
    if (path === '') break;
    path = path.slice(0, path.lastIndexOf('/'));
  }
  return best;
}
