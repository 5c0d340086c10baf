// The automatic healthy baseline through the real CLI: a process that starts
// healthy and then leaks has a baseline from before the leak, the leak's
// snapshot says what changed against it, and both survive kill -9 of
// sockeye. Then a running sockeye and `sockeye inspect --save` writing one
// stateDir at once.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SnapshotChanges } from '../../src/snapshots/compare.js';
import type { Snapshot, SnapshotSummary } from '../../src/snapshots/types.js';
import { getJson, poll } from '../support/poll.js';
import { killAllHolders, spawnHolder } from '../support/procs.js';
import { runSockeye, startSockeye, type Sockeye } from '../support/sockeye.js';

const root = mkdtempSync(join(tmpdir(), 'sockeye-snap-baseline-'));
afterAll(async () => {
  await killAllHolders();
  rmSync(root, { recursive: true, force: true });
});

const list = async (s: Sockeye) => (await getJson<{ snapshots: SnapshotSummary[] }>(`${s.url}/api/snapshots`)).snapshots;
// Triggers and baselines run on each collection; a scrape is one.
const scrape = async (s: Sockeye) => expect((await fetch(`${s.url}/metrics`, { signal: AbortSignal.timeout(30_000) })).status).toBe(200);

describe('the automatic healthy baseline', () => {
  it('a target that leaks after a healthy start: the baseline is from before the leak, the leak is what changed against it, and both outlive kill -9', { timeout: 240_000 }, async () => {
    const leaked = join(root, 'leaked.log');
    // A soft fd limit of 180: the leak below crosses fd_usage (0.8), a trigger one picture can show.
    const h = await spawnHolder({ nofile: [180, 1000], files: [{ path: leaked, count: 5 }] });
    const config = {
      stateDir: join(root, 'state'),
      logLevel: 'warn',
      snapshots: { baseline: { after: '1s' } },
      targets: [{ name: 'app', match: { cmdline: `sockeye-holder ${h.tag}$` } }],
    };
    const first = await startSockeye({ config, readyTimeoutMs: 120_000 });
    const baseline = await poll(
      async () => {
        await scrape(first);
        return (await list(first)).find((s) => s.reason.kind === 'baseline');
      },
      { timeoutMs: 60_000, what: 'the baseline of a healthy target' },
    );
    expect(baseline).toMatchObject({ target: 'app', reason: { kind: 'baseline', detail: expect.stringMatching(/^no trigger crossed for \d+s$/) } });
    const healthy = await getJson<Snapshot>(`${first.url}/api/snapshots/${baseline.id}`);
    expect(healthy.crossed).toEqual([]);
    expect(healthy.target.total.paths).toContainEqual({ path: leaked, count: 5 });

    // The leak: 150 more handles, past 80% of the soft limit.
    await h.add({ files: [{ path: leaked, count: 150 }] });
    const incident = await poll(
      async () => {
        await scrape(first);
        return (await list(first)).find((s) => s.reason.kind === 'trigger');
      },
      { timeoutMs: 60_000, what: 'the fd_usage snapshot' },
    );
    expect(incident.reason).toMatchObject({ kind: 'trigger', trigger: 'fd_usage' });
    const snap = await getJson<Snapshot>(`${first.url}/api/snapshots/${incident.id}`);
    expect(snap.crossed.map((c) => c.trigger)).toEqual(['fd_usage']);
    expect(snap.crossed[0]!.detail).toMatch(/^fd usage 0\.\d+ >= 0\.8 \(\d+ of 180\)$/);
    const changes = await getJson<SnapshotChanges>(`${first.url}/api/snapshots/${incident.id}/changes`);
    // The baseline is no "snapshot before": it is the baseline.
    expect(changes.previous).toBeNull();
    expect(changes.baseline?.id).toBe(baseline.id);
    expect(changes.baseline?.diff.lines[0]).toEqual({ kind: 'path', text: `+150 handles to ${leaked}` });

    expect((await first.stop('SIGKILL')).signal).toBe('SIGKILL');
    // The fix an operator makes: a higher limit (the handles stay). The target crosses no trigger any more.
    execFileSync('prlimit', [`--pid=${h.pid}`, '--nofile=1000:1000']);
    const second = await startSockeye({ config, readyTimeoutMs: 120_000 });
    try {
      const stored = await list(second);
      expect(stored.map((x) => x.id).sort()).toEqual([baseline.id, incident.id].sort());
      const again = await getJson<SnapshotChanges>(`${second.url}/api/snapshots/${incident.id}/changes`);
      expect(again.baseline?.id).toBe(baseline.id);
      expect(again.baseline?.diff.lines[0]?.text).toBe(`+150 handles to ${leaked}`);
      // Healthy again after the restart for longer than baseline.after, but the stored baseline is under a day
      // old: it stays.
      const since = Date.now();
      await poll(
        async () => {
          await scrape(second);
          return Date.now() - since > 3000;
        },
        { timeoutMs: 60_000, what: 'scrapes over more than baseline.after' },
      );
      // A save runs after any the scrapes started: once it is stored, a baseline they took would be too.
      expect((await fetch(`${second.url}/api/snapshots?target=app`, { method: 'POST', signal: AbortSignal.timeout(30_000) })).status).toBe(201);
      expect((await list(second)).filter((s) => s.reason.kind === 'baseline').map((s) => s.id)).toEqual([baseline.id]);
      // And healthy it was: the manual snapshot crossed nothing.
      const manual = (await list(second)).find((s) => s.reason.kind === 'manual')!;
      expect((await getJson<Snapshot>(`${second.url}/api/snapshots/${manual.id}`)).crossed).toEqual([]);
    } finally {
      await second.stop();
    }
  });
});

describe('one stateDir, two writers', () => {
  it('a running sockeye and sockeye inspect --save at once: every save of both stored and listed by the server; a write in flight is not removed', { timeout: 240_000 }, async () => {
    const h = await spawnHolder({ files: [{ path: join(root, 'shared.log'), count: 40 }] });
    const stateDir = join(root, 'shared-state');
    const snapshots = join(stateDir, 'snapshots');
    const s = await startSockeye({ config: { stateDir, logLevel: 'warn', snapshots: { maxCount: 100_000 }, targets: [{ name: 'web', match: { cmdline: `sockeye-holder ${h.tag}$` } }] }, readyTimeoutMs: 120_000 });
    try {
      const post = async () => {
        const res = await fetch(`${s.url}/api/snapshots?target=web`, { method: 'POST', signal: AbortSignal.timeout(30_000) });
        expect(res.status).toBe(201);
        return ((await res.json()) as SnapshotSummary).id;
      };
      const byServer = [await post()];
      // The server's pid on a temporary file, as its writes name them: a write in flight as far as anyone can tell.
      const inFlight = join(snapshots, `20261207T000000.000Z-web-aaaa.json.tmp-${s.pid}`);
      writeFileSync(inFlight, '{"half');
      // A killed writer's: gone by the time anyone opens the store.
      const gone = spawn('true');
      await new Promise((resolve) => gone.once('exit', resolve));
      writeFileSync(join(snapshots, `20261207T000000.000Z-web-bbbb.json.tmp-${gone.pid}`), '{"half');

      const byInspect: string[] = [];
      let inspecting = true;
      const inspects = (async () => {
        try {
          for (let i = 0; i < 3; i++) {
            const r = await runSockeye(['inspect', 'web', '--save', '--json', '--config', s.configPath!], { timeoutMs: 60_000 });
            expect(r.stderr).toBe('');
            expect(r.code).toBe(0);
            byInspect.push(...(JSON.parse(r.stdout) as { saved: SnapshotSummary[] }).saved.map((x) => x.id));
          }
        } finally {
          inspecting = false;
        }
      })();
      // The server saves all the while the CLI opens the store and saves.
      while (inspecting) byServer.push(await post());
      await inspects;

      const names = readdirSync(snapshots);
      expect(names.filter((n) => n.includes('.tmp-'))).toEqual([`20261207T000000.000Z-web-aaaa.json.tmp-${s.pid}`]);
      const listed = (await list(s)).map((x) => x.id);
      expect(byInspect).toHaveLength(3);
      expect(listed.sort()).toEqual([...byServer, ...byInspect].sort());
      for (const id of [...byServer, ...byInspect]) expect((await getJson<Snapshot>(`${s.url}/api/snapshots/${id}`)).id).toBe(id);
    } finally {
      await s.stop();
    }
  });
});
