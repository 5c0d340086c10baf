// Counting what changed between two moments of a target, and saying it:
// "+3,912", "+412.3 MiB". One way for the snapshot diff
// (src/snapshots/diff.ts) and `inspect --watch` (src/inspect/diff.ts).

/** Sums of value(item) by key(item). */
export function counts<T>(items: T[], key: (t: T) => string, value: (t: T) => number): Map<string, number> {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + value(i));
  return m;
}

/** after - before per key, the keys that did not change left out. */
export function delta(before: Map<string, number>, after: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const k of new Set([...before.keys(), ...after.keys()])) {
    const d = (after.get(k) ?? 0) - (before.get(k) ?? 0);
    if (d !== 0) out.set(k, d);
  }
  return out;
}

export const signed = (n: number) => (n > 0 ? `+${n.toLocaleString('en-US')}` : n.toLocaleString('en-US'));

/** A signed size in MiB, to a tenth: "+412.3 MiB". */
export function mib(bytes: number): string {
  return `${signed(Math.round(bytes / 1024 / 102.4) / 10)} MiB`;
}

/** Memory moves a little all the time; less than this is noise, not news. */
export const MEMORY_NOISE_BYTES = 1024 * 1024;
