// The Alertmanager route end to end: an alert posted to a real Alertmanager
// is routed to sockeye's webhook receiver (the route of docs/snapshots.md,
// with the status page token as its bearer credentials), and the snapshot
// of the target the alert names is stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import type { Snapshot, SnapshotSummary } from '../../src/snapshots/types.js';
import { startAlertmanager, type Alertmanager } from '../support/alertmanager.js';
import { poll } from '../support/poll.js';
import { killAllHolders, spawnHolder, type Holder } from '../support/procs.js';

const TOKEN = 'alertmanager-snapshot-token';
const root = mkdtempSync(join(tmpdir(), 'sockeye-snap-am-'));
let app: FastifyInstance;
let am: Alertmanager;
let holder: Holder;
let url: string;

beforeAll(async () => {
  holder = await spawnHolder({ files: [{ path: join(root, 'leaked.log'), count: 120 }], listen: [{ host: '127.0.0.1' }], connections: [{ listener: 0, count: 4, state: 'close_wait' }] });
  app = await buildApp(
    parseConfig(`stateDir: ${JSON.stringify(join(root, 'state'))}\nstatusPage: { token: ${TOKEN} }\ntargets:\n  - name: web\n    match: { cmdline: "sockeye-holder ${holder.tag}$" }\n`, { env: {} }),
    { logger: false },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  am = await startAlertmanager({
    config: {
      route: {
        receiver: 'nobody',
        group_wait: '0s',
        group_interval: '1s',
        routes: [{ receiver: 'sockeye-snapshots', matchers: ['target=~".+"'], continue: true, group_by: ['alertname', 'target'] }],
      },
      receivers: [
        { name: 'nobody' },
        { name: 'sockeye-snapshots', webhook_configs: [{ url: `${url}/api/alertmanager`, send_resolved: false, http_config: { authorization: { credentials: TOKEN } } }] },
      ],
    },
  });
}, 60_000);

afterAll(async () => {
  await am?.stop();
  await app?.close();
  await killAllHolders();
  rmSync(root, { recursive: true, force: true });
});

const api = async <T>(path: string): Promise<T> => {
  const res = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(5000) });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
};

describe('Alertmanager → POST /api/alertmanager', () => {
  it('an alert naming a target leaves that target’s snapshot, with the alert as its reason', async () => {
    const res = await fetch(`${am.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ labels: { alertname: 'FdLeakOnPath', severity: 'warning', target: 'web', job: 'sockeye' }, annotations: { summary: 'fds to one path growing' } }]),
    });
    expect(res.status).toBe(200);
    const [summary] = await poll(
      async () => {
        const { snapshots } = await api<{ snapshots: SnapshotSummary[] }>('/api/snapshots?target=web');
        return snapshots.length > 0 && snapshots;
      },
      { timeoutMs: 60_000, what: 'the snapshot Alertmanager asked for' },
    );
    expect(summary!.reason).toMatchObject({ kind: 'alert', alertname: 'FdLeakOnPath', labels: { target: 'web', severity: 'warning' }, detail: 'FdLeakOnPath firing: fds to one path growing' });
    const snap = await api<Snapshot>(`/api/snapshots/${summary!.id}`);
    expect(snap.target.total.paths[0]).toEqual({ path: join(root, 'leaked.log'), count: 120 });
    expect(snap.target.total.sockets).toContainEqual(expect.objectContaining({ state: 'close_wait', peer: '127.0.0.1', count: 4 }));
    expect(snap.target.processes.map((p) => p.pid)).toEqual([holder.pid]);
  });
});
