/**
 * Bounded polling: the e2e tests wait for Prometheus, Alertmanager and the
 * webhook receiver by asking again, never by sleeping a fixed time.
 *
 *   const alert = await poll(() => firing('FdUsageHigh'), { timeoutMs: 30_000, what: 'FdUsageHigh firing' });
 *
 * fn returns undefined/false/null while not there yet (or throws: also "not
 * yet"); the first other value is returned. On timeout the error names what
 * was awaited and the last value or error seen.
 */
export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  what: string;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function poll<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value !== undefined && value !== null && value !== false) return value;
      last = value;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what} (last: ${detail})`);
    }
    await sleep(Math.min(options.intervalMs ?? 250, Math.max(0, deadline - Date.now())));
  }
}

/** fetch + JSON with a per-request bound, for polling local APIs. */
export async function getJson<T = unknown>(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<T> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(init.timeoutMs ?? 3000) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${init.method ?? 'GET'} ${url}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}
