import { describe, expect, it } from 'vitest';
import { describeDiff, diffReports, diffTarget } from '../../src/inspect/diff.js';
import type { InspectReport, InspectTarget } from '../../src/inspect/report.js';
import { makeStyle, visibleLength, wantsColour } from '../../src/inspect/style.js';
import { bar, clean, renderText } from '../../src/inspect/text.js';

function target(over: Partial<InspectTarget> = {}): InspectTarget {
  return {
    name: 'web',
    severity: 'ok',
    reasons: [],
    auto: false,
    problems: [],
    pids: [10],
    processes: 1,
    processesMin: 1,
    processesMax: null,
    readable: true,
    openFds: 100,
    maxFds: 1000,
    fdUsageRatio: 0.1,
    fdsByType: [{ name: 'file', count: 100 }],
    sockets: [{ protocol: 'tcp', state: 'established', count: 5 }],
    topPaths: [{ name: '/srv/index.html', count: 90 }],
    topPeers: [],
    listen: [],
    closeWaitOldestSeconds: null,
    residentMemoryBytes: 10 * 1024 * 1024,
    memoryLimitBytes: null,
    threads: 4,
    startedAt: '2026-11-22T07:00:00.000Z',
    processList: [
      { pid: 10, comm: 'node', cmdline: 'node server.js', uid: 1000, openFds: 100, maxFds: 1000, fdUsageRatio: 0.1, residentMemoryBytes: 10485760, threads: 4, startedAt: '2026-11-22T07:00:00.000Z', readable: true },
    ],
    ...over,
  };
}

const report = (...targets: InspectTarget[]): InspectReport => ({ generatedAt: '2026-11-22T08:00:00.000Z', procRoot: '/proc', targets });
const plain = makeStyle(false);

describe('diffTarget / describeDiff', () => {
  it('says what grew, biggest socket change first', () => {
    const before = target();
    const after = target({
      openFds: 140,
      sockets: [
        { protocol: 'tcp', state: 'established', count: 7 },
        { protocol: 'tcp', state: 'close_wait', count: 30 },
        { protocol: 'tcp6', state: 'close_wait', count: 8 },
      ],
      topPaths: [{ name: '/srv/index.html', count: 120 }],
    });
    const d = diffTarget(before, after);
    expect(d.fds).toBe(40);
    expect(Object.fromEntries(d.socketStates)).toEqual({ ESTABLISHED: 2, CLOSE_WAIT: 38 });
    expect(Object.fromEntries(d.sockets)).toEqual({ 'tcp established': 2, 'tcp close_wait': 30, 'tcp6 close_wait': 8 });
    expect(Object.fromEntries(d.paths)).toEqual({ '/srv/index.html': 30 });
    expect(describeDiff(d)).toEqual(['+40 fds', '+38 CLOSE_WAIT', '+2 ESTABLISHED']);
  });

  it('names processes that came and went, and ignores memory noise under 1 MiB', () => {
    const d = diffTarget(target({ pids: [10, 11], processes: 2 }), target({ pids: [10, 12, 13], processes: 3, residentMemoryBytes: 10 * 1024 * 1024 + 500_000 }));
    expect(describeDiff(d)).toEqual(['+1 process', 'pid 12 started', 'pid 13 started', 'pid 11 exited']);
    const grown = diffTarget(target(), target({ residentMemoryBytes: 13 * 1024 * 1024 }));
    expect(describeDiff(grown)).toEqual(['+3 MiB RSS']);
  });

  it('reports nothing when nothing changed, and only for targets in both reports', () => {
    const diffs = diffReports(report(target(), target({ name: 'gone' })), report(target(), target({ name: 'new' })));
    expect([...diffs.keys()]).toEqual(['web']);
    expect(describeDiff(diffs.get('web')!)).toEqual([]);
  });
});

describe('renderText', () => {
  it('plain: ASCII bar, numbers, top path, and the change next to each number that moved', () => {
    const before = report(target());
    const after = report(target({ openFds: 130, fdUsageRatio: 0.13, topPaths: [{ name: '/srv/index.html', count: 120 }], sockets: [{ protocol: 'tcp', state: 'close_wait', count: 3 }], closeWaitOldestSeconds: 2400 }));
    const text = renderText(after, { style: plain, diff: diffReports(before, after) });
    const lines = text.split('\n');
    expect(lines[0]).toBe('web  OK  1 process (pid 10)');
    expect(lines[1]).toBe(`  fds       [${'#'.repeat(3)}${'-'.repeat(21)}] 130 / 1,000 13% (+30)`);
    expect(text).toContain('tcp CLOSE_WAIT 3 (+3)');
    expect(text).toContain('  oldest    CLOSE_WAIT for 40m');
    expect(renderText(before, { style: plain })).not.toContain('CLOSE_WAIT for');
    // A state that dropped to zero is still mentioned, with its change.
    expect(text).toContain('tcp ESTABLISHED 0 (-5)');
    expect(text).toContain('         120  /srv/index.html (+30)');
    expect(text).not.toContain('\x1b');
  });

  it('a target without processes shows why, and no meters', () => {
    const text = renderText(report(target({ severity: 'critical', reasons: ['no process running (expected at least 1)'], pids: [], processes: 0, processList: [] })), { style: plain });
    expect(text).toBe('web  CRITICAL  0 processes\n  ! no process running (expected at least 1)\n');
  });

  it('several processes: the fullest process against the lowest limit, and a table biggest first', () => {
    const p = target().processList[0]!;
    const text = renderText(
      report(
        target({
          pids: [10, 11],
          processes: 2,
          openFds: 900,
          fdUsageRatio: 0.8,
          processList: [p, { ...p, pid: 11, openFds: 800, cmdline: 'node worker.js' }],
        }),
      ),
      { style: plain },
    );
    expect(text).toContain('900 in 2 processes, fullest at 80% of its limit (lowest limit 1,000)');
    const rows = text.split('\n').filter((l) => /^ +1[01] /.test(l));
    expect(rows.map((r) => r.trim().split(/\s+/)[0])).toEqual(['11', '10']);
  });

  it('colour: severity and bars in ANSI colour, same visible text as plain', () => {
    const t = target({ severity: 'warning', reasons: ['file descriptors at 80% of the limit'], fdUsageRatio: 0.8, openFds: 800 });
    const coloured = renderText(report(t), { style: makeStyle(true) });
    const uncoloured = renderText(report(t), { style: plain });
    expect(coloured).toContain('\x1b[33mWARNING\x1b[39m');
    expect(coloured).toContain('\x1b[33m' + '█'.repeat(19) + '\x1b[39m');
    // Only the bar glyphs differ once the escapes are gone.
    const strip = (s: string) => s.replace(/\x1b\[[0-9;]*m/g, '').replace(/█/g, '#').replace(/░/g, '-').replace(/\[(#*-*)\]/g, '$1');
    expect(strip(coloured)).toBe(strip(uncoloured));
  });

  it('long lists: the top rows, then how many more and what they hold ("other" rows of a live collection are not counted as one)', () => {
    const paths = Array.from({ length: 13 }, (_, i) => ({ name: `/data/f${i}`, count: 20 - i }));
    const text = renderText(report(target({ topPaths: paths })), { style: plain, top: 10 });
    expect(text).toContain('          11  /data/f9\n    … 3 more paths, 27 handles\n');
    const live = renderText(report(target({ topPaths: [...paths.slice(0, 10), { name: 'other', count: 300 }] })), { style: plain, top: 10 });
    expect(live).toContain('    … more paths, 300 handles\n');
    expect(renderText(report(target()), { style: plain })).not.toContain('more paths');
  });

  it('bar: clamps to the width and shows unknown as empty', () => {
    expect(bar(2, plain)).toBe(`[${'#'.repeat(24)}]`);
    expect(bar(null, plain)).toBe(`[${'-'.repeat(24)}]`);
    expect(visibleLength(bar(0.5, makeStyle(true)))).toBe(24);
  });

  it('clean: control characters are shown escaped', () => {
    expect(clean('a\nb\tc\x1b[2Jd\x7f\u009b')).toBe('a\\nb\\tc\\x1b[2Jd\\x7f\\x9b');
    expect(clean('/srv/ünïcode ok.html')).toBe('/srv/ünïcode ok.html');
  });
});

describe('wantsColour', () => {
  const tty = (isTTY: boolean, colours: boolean) => ({ isTTY, hasColors: () => colours }) as unknown as NodeJS.WriteStream;
  it('only on a terminal with colours, never with NO_COLOR', () => {
    expect(wantsColour(tty(true, true), {})).toBe(true);
    expect(wantsColour(tty(false, true), {})).toBe(false);
    expect(wantsColour(tty(true, false), {})).toBe(false);
    expect(wantsColour(tty(true, true), { NO_COLOR: '1' })).toBe(false);
    // An empty NO_COLOR does not count (no-color.org).
    expect(wantsColour(tty(true, true), { NO_COLOR: '' })).toBe(true);
  });
});
