import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { poll } from '../support/poll.js';
import { startSockeye, type Sockeye } from '../support/sockeye.js';

// Config reload on the real built server: SIGHUP and POST /-/reload.

let server: Server;
let okUrl: string;

beforeAll(async () => {
  server = createServer((_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  okUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function metrics(s: Sockeye): Promise<string> {
  const res = await fetch(`${s.url}/metrics`);
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one series, written as prom-client writes it (labels in declaration order); undefined when absent. */
function value(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const series = (body: string, name: string, label: string, v: string) => body.split('\n').filter((l) => l.startsWith(`${name}{`) && l.includes(`${label}="${v}"`));

async function ping(s: Sockeye, name: string): Promise<number> {
  const res = await fetch(`${s.url}/ping/${name}`, { method: 'POST' });
  await res.arrayBuffer();
  return res.status;
}

/** Waits for the reload after `before` (a success timestamp) or for a failed one. */
async function reloaded(s: Sockeye, before: number): Promise<string> {
  return poll(
    async () => {
      const body = await metrics(s);
      const ok = value(body, 'sockeye_config_last_reload_successful');
      const at = value(body, 'sockeye_config_last_reload_success_timestamp_seconds')!;
      return (ok === 1 && at > before) || ok === 0 ? body : undefined;
    },
    { timeoutMs: 15_000, what: 'the reload to finish' },
  );
}

const hourly = (name: string, extra: Record<string, unknown> = {}) => ({ name, every: '1h', http: { url: okUrl }, ...extra });

describe('reload on SIGHUP', () => {
  let s: Sockeye;
  const base = () => ({
    targets: [
      { name: 'kept', match: { pid: process.pid } },
      { name: 'dropped', match: { pid: process.pid } },
    ],
    checks: [hourly('steady'), hourly('retimed'), hourly('removed'), { name: 'fast', every: '1s', http: { url: okUrl } }],
    heartbeats: [
      { name: 'nightly', period: '1d' },
      { name: 'gone', period: '1d' },
    ],
  });

  beforeAll(async () => {
    s = await startSockeye({ config: base() });
  });
  afterAll(() => s?.stop());

  it('applies a valid change and keeps heartbeat state, counters and each unchanged check in its place', async () => {
    // Every hourly check runs once within a second of startup, then not for an hour.
    let body = await poll(
      async () => {
        const b = await metrics(s);
        return ['steady', 'retimed', 'removed'].every((c) => value(b, `sockeye_check_runs_total{check="${c}",result="success"}`) === 1) ? b : undefined;
      },
      { timeoutMs: 15_000, what: 'the first run of every hourly check' },
    );
    expect(await ping(s, 'nightly')).toBe(200);
    expect(await ping(s, 'nightly')).toBe(200);
    body = await metrics(s);
    const lastPing = value(body, 'sockeye_heartbeat_last_ping_timestamp_seconds{heartbeat="nightly",kind="success"}');
    expect(value(body, 'sockeye_heartbeat_pings_total{heartbeat="nightly",kind="success"}')).toBe(2);
    const steadyLastRun = value(body, 'sockeye_check_last_run_timestamp_seconds{check="steady"}');
    expect(steadyLastRun).toBeGreaterThan(0);
    const since = value(body, 'sockeye_config_last_reload_success_timestamp_seconds')!;
    expect(value(body, 'sockeye_config_last_reload_successful')).toBe(1);

    const next = base();
    next.targets = [next.targets[0]!, { name: 'added', match: { pid: process.pid } }];
    // steady: same timing, another timeout; retimed: a new interval; removed: gone; fresh: new.
    next.checks = [hourly('steady', { timeout: '3s' }), hourly('retimed', { every: '2h' }), { name: 'fast', every: '1s', http: { url: okUrl } }, hourly('fresh')];
    next.heartbeats = [{ name: 'nightly', period: '12h' }, { name: 'new', period: '1d' }] as typeof next.heartbeats;
    writeFileSync(s.configPath!, stringify(next));
    process.kill(s.pid, 'SIGHUP');
    expect(value(await reloaded(s, since), 'sockeye_config_last_reload_successful')).toBe(1);
    // A scrape whose collection began before the reload still shows the old targets; the next one is new.
    body = await metrics(s);

    // Targets: the added one collected, the removed one's series gone.
    expect(value(body, 'sockeye_target_processes{target="added"}')).toBe(1);
    expect(value(body, 'sockeye_target_processes{target="kept"}')).toBe(1);
    expect(series(body, 'sockeye_target_processes', 'target', 'dropped')).toEqual([]);
    expect(series(body, 'sockeye_process_restarts_total', 'target', 'dropped')).toEqual([]);

    // Heartbeats: state and counters kept, the new period applied, the removed one gone.
    expect(value(body, 'sockeye_heartbeat_pings_total{heartbeat="nightly",kind="success"}')).toBe(2);
    expect(value(body, 'sockeye_heartbeat_last_ping_timestamp_seconds{heartbeat="nightly",kind="success"}')).toBe(lastPing);
    expect(value(body, 'sockeye_heartbeat_period_seconds{heartbeat="nightly"}')).toBe(12 * 3600);
    expect(value(body, 'sockeye_heartbeat_pings_total{heartbeat="new",kind="success"}')).toBe(0);
    expect(series(body, 'sockeye_heartbeat_pings_total', 'heartbeat', 'gone')).toEqual([]);
    expect(await ping(s, 'gone')).toBe(404);
    expect(await ping(s, 'new')).toBe(200);

    // Checks: the removed one's series gone; the new and the retimed one run within a second, as at startup.
    expect(body.split('\n').filter((l) => l.includes('check="removed"'))).toEqual([]);
    const fastRuns = value(body, 'sockeye_check_runs_total{check="fast",result="success"}')!;
    body = await poll(
      async () => {
        const b = await metrics(s);
        const ran = (c: string, n: number) => value(b, `sockeye_check_runs_total{check="${c}",result="success"}`) === n;
        // fast has run twice more since the reload: the scheduler has ticked on, past any start due then.
        return ran('fresh', 1) && ran('retimed', 2) && value(b, 'sockeye_check_runs_total{check="fast",result="success"}')! >= fastRuns + 2 ? b : undefined;
      },
      { timeoutMs: 15_000, what: 'the new and the retimed check to run' },
    );
    // The unchanged one kept its place: no second run, its counters and last run as they were.
    expect(value(body, 'sockeye_check_runs_total{check="steady",result="success"}')).toBe(1);
    expect(value(body, 'sockeye_check_last_run_timestamp_seconds{check="steady"}')).toBe(steadyLastRun);
    expect(value(body, 'sockeye_check_interval_seconds{check="retimed"}')).toBe(7200);
    expect(s.logs()).toMatch(/config reloaded: 2 target\(s\), 4 check\(s\), 2 heartbeat\(s\); targets \+added -dropped; checks \+fresh -removed ~steady, ~retimed; heartbeats \+new -gone ~nightly/);
  });

  it('refuses an invalid config, naming the key, and keeps serving the old one', async () => {
    let body = await metrics(s);
    const since = value(body, 'sockeye_config_last_reload_success_timestamp_seconds')!;
    const fastRuns = value(body, 'sockeye_check_runs_total{check="fast",result="success"}')!;
    const bad = base();
    bad.checks[0] = { name: 'steady', every: 'soon', http: { url: okUrl } } as (typeof bad.checks)[0];
    writeFileSync(s.configPath!, stringify(bad));
    process.kill(s.pid, 'SIGHUP');
    expect(value(await reloaded(s, since), 'sockeye_config_last_reload_successful')).toBe(0);
    body = await metrics(s);
    expect(value(body, 'sockeye_config_last_reload_successful')).toBe(0);
    expect(value(body, 'sockeye_config_last_reload_success_timestamp_seconds')).toBe(since);
    const line = await poll(() => s.logs().split('\n').find((l) => l.includes('config reload failed')), { timeoutMs: 5000, what: 'the refusal in the log' });
    expect(line).toContain('checks[0].every');
    expect(JSON.parse(line)).toMatchObject({ level: 50, problems: [expect.stringMatching(/^checks\[0\]\.every: /)] });
    // Still the config of the last good reload: its targets, heartbeats and checks.
    expect(value(body, 'sockeye_target_processes{target="added"}')).toBe(1);
    expect(series(body, 'sockeye_target_processes', 'target', 'dropped')).toEqual([]);
    expect(await ping(s, 'new')).toBe(200);
    expect(await ping(s, 'gone')).toBe(404);
    await poll(async () => value(await metrics(s), 'sockeye_check_runs_total{check="fast",result="success"}')! >= fastRuns + 2, { timeoutMs: 15_000, what: 'checks still running' });
    expect(s.proc.exitCode).toBeNull();
  });
});

describe('POST /-/reload', () => {
  it('is off unless --web.enable-lifecycle: 403 that says how to turn it on, 405 for GET', async () => {
    const s = await startSockeye({ config: { targets: [] } });
    const res = await fetch(`${s.url}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(403);
    expect(await res.text()).toMatch(/--web\.enable-lifecycle/);
    const get = await fetch(`${s.url}/-/reload`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, PUT');
    await get.arrayBuffer();
    await s.stop();
  });

  it('with --web.enable-lifecycle: 200 on a valid change, 500 naming the key on an invalid one, refuses a restart-only key', async () => {
    const config = { checks: [{ name: 'c', every: '1h', http: { url: okUrl } }], heartbeats: [{ name: 'h', period: '1d' }] };
    const s = await startSockeye({ config, args: ['--web.enable-lifecycle'] });
    expect(await ping(s, 'h')).toBe(200);

    writeFileSync(s.configPath!, stringify({ ...config, checks: [...config.checks, { name: 'd', every: '1h', http: { url: okUrl } }] }));
    let res = await fetch(`${s.url}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^config reloaded: every process, grouped by command name, 2 check\(s\), 1 heartbeat\(s\); checks \+d\n$/);

    writeFileSync(s.configPath!, stringify({ ...config, heartbeats: [{ name: 'h', period: 'daily' }] }));
    res = await fetch(`${s.url}/-/reload`, { method: 'PUT' });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toMatch(/^failed to reload config: .*: invalid configuration\n {2}heartbeats\[0\]\.period: /);

    writeFileSync(s.configPath!, stringify({ ...config, stateDir: 'elsewhere' }));
    res = await fetch(`${s.url}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/^failed to reload config: config: needs a restart\n {2}stateDir: cannot change on reload \(running with "\.sockeye-state", the file now says "elsewhere"\); restart sockeye to apply it/);

    // What a target is cannot change under a running sockeye: node mode needs a restart.
    writeFileSync(s.configPath!, stringify({ ...config, mode: 'node' }));
    res = await fetch(`${s.url}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/^failed to reload config: config: needs a restart\n {2}mode: cannot change on reload \(running with "sidecar", the file now says "node"\); restart sockeye to apply it/);

    // Nothing of the refused ones applied: the heartbeat keeps its count, d is still there.
    const body = await metrics(s);
    expect(value(body, 'sockeye_config_last_reload_successful')).toBe(0);
    expect(value(body, 'sockeye_heartbeat_pings_total{heartbeat="h",kind="success"}')).toBe(1);
    expect(value(body, 'sockeye_check_interval_seconds{check="d"}')).toBe(3600);
    await s.stop();
  });

  it('started without a config file: a reload has nothing to read and says so', async () => {
    const s = await startSockeye({ args: ['--web.enable-lifecycle'] });
    const res = await fetch(`${s.url}/-/reload`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('started without a config file: nothing to reload\n');
    await s.stop();
  });

  it('sits behind the web config\'s basic auth like every endpoint', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sockeye-reload-web-'));
    const web = join(dir, 'web.yml');
    writeFileSync(web, stringify({ basic_auth_users: { ops: bcrypt.hashSync('reload-secret', 10) } }));
    const auth = `Basic ${Buffer.from('ops:reload-secret').toString('base64')}`;
    const s = await startSockeye({
      config: { targets: [] },
      args: ['--web.enable-lifecycle', '--web.config.file', web],
      ready: async (x) => (await fetch(`${x.url}/readyz`, { headers: { authorization: auth } })).ok,
    });
    try {
      const denied = await fetch(`${s.url}/-/reload`, { method: 'POST' });
      expect(denied.status).toBe(401);
      await denied.arrayBuffer();
      expect(s.logs()).not.toContain('config reloaded');
      const res = await fetch(`${s.url}/-/reload`, { method: 'POST', headers: { authorization: auth } });
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/^config reloaded: 0 target\(s\), 0 check\(s\), 0 heartbeat\(s\); nothing changed\n$/);
    } finally {
      await s.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
