import { OTHER } from './snapshot.js';

/**
 * The n largest entries (count descending, then key ascending so output is
 * stable), plus one `other` row summing the rest: label values from the
 * outside world stay bounded.
 */
export function topWithOther(counts: ReadonlyMap<string, number>, n: number): Array<{ key: string; count: number }> {
  const rows = [...counts].map(([key, count]) => ({ key, count }));
  rows.sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  if (rows.length <= n) return rows;
  const rest = rows.slice(n).reduce((sum, r) => sum + r.count, 0);
  return [...rows.slice(0, n), { key: OTHER, count: rest }];
}
