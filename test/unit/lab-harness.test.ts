// The incident lab's own helpers: the results table lands between its markers
// only, and polling gives up at its bound naming what it waited for.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { formatLabTable, writeLabTable } from '../support/lab-report.js';
import { poll } from '../support/poll.js';

const row = { fault: 'incident 2: close-wait', alert: 'CloseWaitPileUp', labels: 'target=close-wait', seconds: 17.26, conditionSeconds: 3.04, bound: '≤ 45 s' };

describe('lab report', () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('formats one table row per result, seconds to a tenth', () => {
    const text = formatLabTable(
      [{ ...row, snapshot: 'trigger close_wait: 111 CLOSE_WAIT to 127.0.0.1' }, { ...row, fault: 'Alertmanager stopped', conditionSeconds: undefined, note: 'no Watchdog for 12s', bound: '≥ 10 s gap' }],
      new Date('2026-01-02T03:04:05Z'),
    );
    expect(text.split('\n').filter((l) => l.startsWith('| '))).toEqual([
      '| fault | alert | labels | condition holds | delivered | bound | snapshot it left |',
      '| incident 2: close-wait | CloseWaitPileUp | `target=close-wait` | 3.0 s | 17.3 s | ≤ 45 s | trigger close_wait: 111 CLOSE_WAIT to 127.0.0.1 |',
      '| Alertmanager stopped | CloseWaitPileUp | `target=close-wait` |  | no Watchdog for 12s | ≥ 10 s gap |  |',
    ]);
    expect(text).toContain('2026-01-02 03:04 UTC');
  });

  it('replaces only what is between the markers, and refuses a file without them', () => {
    dir = mkdtempSync(join(tmpdir(), 'lab-report-'));
    const file = join(dir, 'doc.md');
    writeFileSync(file, 'before\n<!-- lab-results:start -->\nSTALE TABLE\n<!-- lab-results:end -->\nafter\n');
    writeLabTable([row], file);
    const text = readFileSync(file, 'utf8');
    expect(text.startsWith('before\n<!-- lab-results:start -->\nMeasured ')).toBe(true);
    expect(text).not.toContain('STALE TABLE');
    expect(text.endsWith('| 17.3 s | ≤ 45 s |  |\n<!-- lab-results:end -->\nafter\n')).toBe(true);
    writeFileSync(file, 'no markers\n');
    expect(() => writeLabTable([row], file)).toThrow(/markers/);
  });
});

describe('poll', () => {
  it('returns the first truthy value and treats throws as "not yet"', async () => {
    let n = 0;
    const got = await poll(() => {
      n++;
      if (n < 3) throw new Error('not yet');
      return n;
    }, { timeoutMs: 5000, intervalMs: 1, what: 'three tries' });
    expect(got).toBe(3);
  });

  it('gives up at its bound, naming what it waited for and the last error', async () => {
    await expect(poll(() => { throw new Error('connection refused'); }, { timeoutMs: 50, intervalMs: 10, what: 'prometheus ready' })).rejects.toThrow(/timed out after 50 ms waiting for prometheus ready \(last: connection refused\)/);
  });
});
