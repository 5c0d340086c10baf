// Summaries of timing samples. Medians for "how long", nearest-rank
// percentiles for tails: no interpolation between two samples that were
// never observed.

export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function max(samples: readonly number[]): number {
  return samples.length === 0 ? NaN : samples.reduce((a, b) => (b > a ? b : a), -Infinity);
}

export function mean(samples: readonly number[]): number {
  return samples.length === 0 ? NaN : samples.reduce((a, b) => a + b, 0) / samples.length;
}

/** "38.2 ms", "612 ms", "41 µs": three significant digits in the unit that reads best. */
export function ms(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  if (value < 1) return `${sig(value * 1000)} µs`;
  if (value >= 10_000) return `${sig(value / 1000)} s`;
  return `${sig(value)} ms`;
}

/** Largest over smallest: how far a cost per unit of work moves across sizes (undefined under two sizes or with a value missing). */
export function spread(samples: readonly number[]): number | undefined {
  return samples.length < 2 || samples.some((x) => !Number.isFinite(x)) ? undefined : Math.max(...samples) / Math.min(...samples);
}

/** "12.3 µs": a total in ms spread over n units of work. */
export function usPer(totalMs: number, n: number): string {
  return `${sig((totalMs * 1000) / n)} µs`;
}

export function mib(bytes: number): string {
  return Number.isFinite(bytes) ? `${sig(bytes / 1048576)} MiB` : 'n/a';
}

export function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${sig(a / b)}x` : 'n/a';
}

export function sig(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const abs = Math.abs(value);
  return abs >= 100 ? value.toFixed(0) : abs >= 10 ? value.toFixed(1) : value.toFixed(2);
}
