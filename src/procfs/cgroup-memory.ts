import { existsSync, readFileSync } from 'node:fs';
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

/** Files that may hold the limit for one /proc/PID/cgroup entry, under the cgroup mount root. */
function candidates(cgroupRoot: string, entry: CgroupEntry): Array<{ dir: string; file: string }> {
  if (entry.id === 0 && entry.controllers.length === 0) {
    // v2: the root itself is the unified mount, or (hybrid layout) its unified/ child.
    return [
      { dir: `${cgroupRoot}`, file: 'memory.max' },
      { dir: `${cgroupRoot}/unified`, file: 'memory.max' },
    ];
  }
  if (entry.controllers.includes('memory')) return [{ dir: `${cgroupRoot}/memory`, file: 'memory.limit_in_bytes' }];
  return [];
}

function trimSlash(path: string): string {
  return path === '/' ? '' : path.replace(/\/+$/, '');
}

/**
 * The effective memory limit of a process: the lowest limit on its cgroup and
 * its ancestors. null when there is none (or its cgroup is not visible from
 * here, e.g. another cgroup namespace): then no series is exported.
 */
export function readCgroupMemoryLimit(cgroupRoot: string, entries: CgroupEntry[]): number | null {
  let best: number | null = null;
  for (const entry of entries) {
    for (const { dir, file } of candidates(cgroupRoot, entry)) {
      const leaf = `${dir}${trimSlash(entry.path)}`;
      if (!existsSync(`${leaf}/${file}`) && !(entry.path === '/' && existsSync(`${dir}/${file}`))) continue;
      // Walk up to the mount root; a missing file (the v2 root has no memory.max) is no limit.
      let path = trimSlash(entry.path);
      for (;;) {
        let text: string | undefined;
        try {
          text = readFileSync(`${dir}${path}/${file}`, 'latin1');
        } catch {
          text = undefined;
        }
        const limit = text === undefined ? null : parseMemoryLimit(text);
        if (limit !== null && limit !== undefined && (best === null || limit < best)) best = limit;
        if (path === '') break;
        path = path.slice(0, path.lastIndexOf('/'));
      }
      break;
    }
  }
  return best;
}
