import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectReport } from '../../src/inspect/report.js';
import type { SnapshotChanges } from '../../src/snapshots/compare.js';
import type { Snapshot, SnapshotSummary } from '../../src/snapshots/types.js';
import { killAllHolders, spawnHolder, type Holder } from '../support/procs.js';
import { runSockeye, startSockeye } from '../support/sockeye.js';

// `sockeye inspect --save` and `--snapshot ID` (the built CLI) against a
// real process that leaks handles and CLOSE_WAIT sockets between two saves,
// sharing one stateDir with a running sockeye: what the CLI stores the
// server lists, and what the server stores the CLI prints.

const dir = mkdtempSync(join(tmpdir(), 'sockeye-inspect-snapshots-'));
const INDEX = join(dir, 'index.html');
const STATE = join(dir, 'state');
const SNAPSHOTS = join(STATE, 'snapshots');
const CONFIG = join(dir, 'sockeye.yml');
const MISSING = '20200101T000000.000Z-web-0000';

let holder: Holder;
let first: SnapshotSummary;
let second: SnapshotSummary;

const inspect = (...args: string[]) => runSockeye(['inspect', ...args, '--config', CONFIG], { cwd: dir, env: { NO_COLOR: '1' } });

beforeAll(async () => {
  holder = await spawnHolder({
    nofile: [4096, 4096],
    files: [{ path: INDEX, count: 20 }],
    listen: [{ host: '127.0.0.1', backlog: 32 }],
    connections: [{ listener: 0, count: 3, state: 'close_wait' }],
  });
  writeFileSync(CONFIG, JSON.stringify({ stateDir: STATE, targets: [{ name: 'web', match: { cmdline: `sockeye-holder ${holder.tag}$` } }] }));
}, 60_000);

afterAll(async () => {
  await killAllHolders();
  rmSync(dir, { recursive: true, force: true });
});

describe('sockeye inspect --save', () => {
  it('prints the report and stores a snapshot of the target under stateDir', async () => {
    const r = await inspect('web', '--save');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^web\s+OK\s+1 process/);
    const m = new RegExp(`^saved snapshot (\\S+) of web \\(.+\\) in ${SNAPSHOTS}; sockeye inspect --snapshot \\1 shows it$`, 'm').exec(r.stdout);
    expect(m, r.stdout).not.toBeNull();
    expect(existsSync(join(SNAPSHOTS, `${m![1]}.json`))).toBe(true);
    first = { id: m![1]! } as SnapshotSummary;
  });

  it('with --json: the report and the summaries of what it saved', async () => {
    await holder.add({ files: [{ path: INDEX, count: 500 }], connections: [{ listener: 0, count: 30, state: 'close_wait' }] });
    const r = await inspect('web', '--save', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as InspectReport & { saved: SnapshotSummary[] };
    expect(out.targets.map((t) => t.name)).toEqual(['web']);
    expect(out.saved).toHaveLength(1);
    second = out.saved[0]!;
    expect(second).toMatchObject({ target: 'web', reason: { kind: 'manual', detail: 'sockeye inspect --save' }, openFds: out.targets[0]!.openFds });
    expect(second.id > first.id).toBe(true);
  });
});

describe('sockeye inspect --snapshot ID', () => {
  it('prints the stored snapshot like a report, with what changed since the snapshot before', async () => {
    const r = await inspect('--snapshot', second.id);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual([`snapshot ${second.id}`, '  target    web', expect.stringMatching(/^ {2}saved {5}\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/), '  reason    manual: sockeye inspect --save']);
    const before = lines.indexOf(lines.find((l) => l.startsWith(`changed since the snapshot before (${first.id}, `))!);
    expect(before).toBeGreaterThan(0);
    // The leak, named: the path first, then the sockets and their peer.
    expect(lines[before + 1]).toBe(`  +500 handles to ${INDEX}`);
    expect(lines.slice(before + 1, before + 6)).toContain('  +30 CLOSE_WAIT to 127.0.0.1');
    expect(r.stdout).toContain('changed since the healthy baseline: none taken before it (sockeye stores one once the target has crossed no trigger for snapshots.baseline.after)');
    // The report part: the path with its count, the sockets by state.
    // Each number that moved since the snapshot before carries its change, as in --watch.
    expect(r.stdout).toMatch(new RegExp(`^ +520  ${INDEX.replace(/[.]/g, '\\.')} \\(\\+500\\)$`, 'm'));
    expect(r.stdout).toMatch(/tcp CLOSE_WAIT 33 \(\+30\)/);
  });

  it('with --json: the snapshot and the changes', async () => {
    const r = await inspect('--snapshot', second.id, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { snapshot: Snapshot; changes: SnapshotChanges };
    expect(out.snapshot.id).toBe(second.id);
    expect(out.snapshot.target.total.paths[0]).toEqual({ path: INDEX, count: 520 });
    expect(out.changes.previous?.id).toBe(first.id);
    expect(out.changes.previous?.diff.lines[0]).toEqual(expect.objectContaining({ kind: 'path', text: `+500 handles to ${INDEX}` }));
    expect(out.changes.baseline).toBeNull();
  });

  it('an unknown id exits 1 naming it and the directory it looked in', async () => {
    const r = await inspect('--snapshot', MISSING);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`sockeye: no snapshot ${MISSING} in ${SNAPSHOTS} (2 stored there, newest ${second.id})\n`);
  });

  it('usage errors exit 2: a pid or target with --snapshot, a malformed id, --save with --watch', async () => {
    const withTarget = await inspect('web', '--snapshot', second.id);
    expect(withTarget.code).toBe(2);
    expect(withTarget.stderr).toMatch(/^sockeye: inspect --snapshot prints a stored snapshot: give no pid or target with it \(got web\)\n/);
    const malformed = await inspect('--snapshot', '../../etc/passwd');
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/^sockeye: --snapshot: "..\/..\/etc\/passwd" is not a snapshot id/);
    const watching = await inspect('web', '--save', '--watch', '1s');
    expect(watching.code).toBe(2);
    expect(watching.stderr).toMatch(/^sockeye: inspect --save stores one snapshot: it does not go with --watch\n/);
  });
});

describe('one store for the CLI and the server', () => {
  it('a running sockeye lists what inspect saved, and inspect prints what the server took', async () => {
    const sockeye = await startSockeye({ config: { logLevel: 'warn', stateDir: STATE, targets: [{ name: 'web', match: { cmdline: `sockeye-holder ${holder.tag}$` } }] }, cwd: dir });
    try {
      const list = (await (await fetch(`${sockeye.url}/api/snapshots`, { signal: AbortSignal.timeout(10_000) })).json()) as { snapshots: SnapshotSummary[] };
      expect(list.snapshots.map((s) => s.id)).toEqual([second.id, first.id]);
      await holder.add({ files: [{ path: INDEX, count: 7 }] });
      const taken = await fetch(`${sockeye.url}/api/snapshots?target=web`, { method: 'POST', signal: AbortSignal.timeout(10_000) });
      expect(taken.status).toBe(201);
      const third = (await taken.json()) as SnapshotSummary;
      // Read while the server runs on the same directory: the CLI changes nothing there.
      const r = await inspect('--snapshot', third.id);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`changed since the snapshot before (${second.id}, `);
      expect(r.stdout).toContain('  reason    manual: POST /api/snapshots');
    } finally {
      await sockeye.stop();
    }
  });
});
