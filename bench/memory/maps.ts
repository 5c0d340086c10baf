// Where a process's resident memory is, from /proc alone (no inspector, no
// preload in the measured process): /proc/PID/status for the totals and
// /proc/PID/smaps grouped by kind of mapping. Pure parsers, then one reader.
import { readFileSync } from 'node:fs';

/** The kB fields of /proc/PID/status that say how much is resident, in bytes. */
export interface StatusMemory {
  vmRss: number;
  /** Peak RSS over the process's life. */
  vmHwm: number;
  rssAnon: number;
  rssFile: number;
  rssShmem: number;
  threads: number;
}

export function parseStatusMemory(text: string): StatusMemory {
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(text);
    if (!m) throw new Error(`status: no ${key} line`);
    return Number(m[1]) * 1024;
  };
  const threads = /^Threads:\s+(\d+)$/m.exec(text);
  if (!threads) throw new Error('status: no Threads line');
  return { vmRss: kb('VmRSS'), vmHwm: kb('VmHWM'), rssAnon: kb('RssAnon'), rssFile: kb('RssFile'), rssShmem: kb('RssShmem'), threads: Number(threads[1]) };
}

/**
 * What a mapping is. glibc gives each thread that mallocs its own arena: a
 * 64 MiB-aligned anonymous reservation (HEAP_MAX_SIZE on 64-bit) whose used
 * part is read-write; V8's pages are 256 KiB-aligned, so a 64 MiB-aligned
 * start is almost always an arena. A heuristic, labelled as one.
 */
export type MappingGroup = 'node binary' | 'shared libraries' | 'other files' | 'brk heap (main malloc arena)' | 'malloc thread arenas (64 MiB-aligned)' | 'other anonymous (V8 heaps, stacks, mmapped malloc)' | 'stacks and special';

export const MAPPING_GROUPS: readonly MappingGroup[] = [
  'node binary',
  'shared libraries',
  'other files',
  'brk heap (main malloc arena)',
  'malloc thread arenas (64 MiB-aligned)',
  'other anonymous (V8 heaps, stacks, mmapped malloc)',
  'stacks and special',
];

export interface GroupMemory {
  /** Resident bytes of the group's mappings. */
  rss: number;
  /** Of which anonymous (private, not backed by a file). */
  anonymous: number;
  mappings: number;
}

const ARENA_ALIGN = 64n * 1024n * 1024n;
const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \d+\s*(.*)$/;

function classify(start: bigint, end: bigint, path: string, nodeBinary: string): MappingGroup {
  if (path === nodeBinary) return 'node binary';
  if (path.startsWith('/')) return /\.so(\.|$)/.test(path) ? 'shared libraries' : 'other files';
  if (path === '[heap]') return 'brk heap (main malloc arena)';
  if (path !== '') return 'stacks and special';
  return start % ARENA_ALIGN === 0n && end - start <= ARENA_ALIGN ? 'malloc thread arenas (64 MiB-aligned)' : 'other anonymous (V8 heaps, stacks, mmapped malloc)';
}

/** /proc/PID/smaps summed by group; `nodeBinary` is the real path of the node executable. */
export function parseSmaps(text: string, nodeBinary: string): Record<MappingGroup, GroupMemory> {
  const out = Object.fromEntries(MAPPING_GROUPS.map((g) => [g, { rss: 0, anonymous: 0, mappings: 0 }])) as Record<MappingGroup, GroupMemory>;
  let current: GroupMemory | undefined;
  for (const line of text.split('\n')) {
    const h = HEADER.exec(line);
    if (h) {
      current = out[classify(BigInt(`0x${h[1]}`), BigInt(`0x${h[2]}`), h[4]!.replace(/ \(deleted\)$/, ''), nodeBinary)];
      current.mappings++;
      continue;
    }
    if (!current) continue;
    const m = /^(Rss|Anonymous):\s+(\d+) kB$/.exec(line);
    if (m) current[m[1] === 'Rss' ? 'rss' : 'anonymous'] += Number(m[2]) * 1024;
  }
  return out;
}

/** prom-client's default metrics describe the main isolate's V8 heap: read them from a scrape. */
export interface MainHeap {
  heapTotal: number;
  heapUsed: number;
  external: number;
  newSpace: number;
  oldSpace: number;
}

export function parseMainHeap(exposition: string): MainHeap {
  const value = (re: RegExp) => {
    const m = re.exec(exposition);
    return m ? Number(m[1]) : NaN;
  };
  return {
    heapTotal: value(/^nodejs_heap_size_total_bytes (\S+)/m),
    heapUsed: value(/^nodejs_heap_size_used_bytes (\S+)/m),
    external: value(/^nodejs_external_memory_bytes (\S+)/m),
    newSpace: value(/^nodejs_heap_space_size_total_bytes\{space="new"\} (\S+)/m),
    oldSpace: value(/^nodejs_heap_space_size_total_bytes\{space="old"\} (\S+)/m),
  };
}

export interface MemorySample {
  status: StatusMemory;
  groups: Record<MappingGroup, GroupMemory>;
}

export function readMemory(pid: number, nodeBinary: string): MemorySample {
  return {
    status: parseStatusMemory(readFileSync(`/proc/${pid}/status`, 'latin1')),
    groups: parseSmaps(readFileSync(`/proc/${pid}/smaps`, 'latin1'), nodeBinary),
  };
}
