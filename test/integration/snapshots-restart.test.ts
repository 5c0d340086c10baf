// Acknowledged snapshots survive kill -9 of sockeye: the real CLI, killed
// right after POST /api/snapshots answered, started again on the same
// stateDir, lists and serves the snapshot.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Snapshot, SnapshotSummary } from '../../src/snapshots/types.js';
import { getJson } from '../support/poll.js';
import { killAllHolders, spawnHolder } from '../support/procs.js';
import { startSockeye } from '../support/sockeye.js';

const root = mkdtempSync(join(tmpdir(), 'sockeye-snap-restart-'));
afterAll(async () => {
  await killAllHolders();
  rmSync(root, { recursive: true, force: true });
});

describe('snapshots across a kill -9 of sockeye', () => {
  it('the snapshot POST acknowledged is listed and readable after the restart', { timeout: 240_000 }, async () => {
    const leaked = join(root, 'leaked.log');
    const h = await spawnHolder({ files: [{ path: leaked, count: 150 }] });
    const config = { stateDir: join(root, 'state'), logLevel: 'warn', targets: [{ name: 'app', match: { cmdline: `sockeye-holder ${h.tag}$` } }] };
    const first = await startSockeye({ config, readyTimeoutMs: 120_000 });
    const res = await fetch(`${first.url}/api/snapshots?target=app`, { method: 'POST', signal: AbortSignal.timeout(30_000) });
    expect(res.status).toBe(201);
    const taken = (await res.json()) as SnapshotSummary;
    // Killed the moment the answer arrived: nothing gets to flush afterwards.
    const exit = await first.stop('SIGKILL');
    expect(exit.signal).toBe('SIGKILL');

    const second = await startSockeye({ config, readyTimeoutMs: 120_000 });
    try {
      const { snapshots } = await getJson<{ snapshots: SnapshotSummary[] }>(`${second.url}/api/snapshots`);
      expect(snapshots).toEqual([taken]);
      const snap = await getJson<Snapshot>(`${second.url}/api/snapshots/${taken.id}`);
      expect(snap.id).toBe(taken.id);
      expect(snap.target.total.paths).toEqual([{ path: leaked, count: 150 }]);
      expect(snap.target.processes.map((p) => p.pid)).toEqual([h.pid]);
    } finally {
      await second.stop();
    }
  });
});
