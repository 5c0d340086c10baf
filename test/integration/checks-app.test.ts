import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { REPO_ROOT, runSockeye, startSockeye } from '../support/sockeye.js';

// The checker inside the whole app: routes, exposition, shutdown, CLI.
let silent: net.Server;
let silentPort = 0;
const held = new Set<net.Socket>();
const stateDir = mkdtempSync(join(tmpdir(), 'sockeye-app-'));
beforeAll(async () => {
  silent = net.createServer((s) => {
    held.add(s);
    s.on('error', () => undefined);
    s.on('close', () => held.delete(s));
  });
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  silentPort = (silent.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((r) => silent.close(r));
  rmSync(stateDir, { recursive: true, force: true });
});

const configText = () => `targets: []
stateDir: ${JSON.stringify(stateDir)}
checks:
  - name: wedged
    every: 1m
    timeout: 20s
    tcp: { address: "127.0.0.1:${silentPort}", conversation: [{ expect: PLSAUTH }] }
heartbeats:
  - name: nightly
    period: 1d
`;

const apps: FastifyInstance[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function promtoolCheckMetrics(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const p = execFile('promtool', ['check', 'metrics'], { timeout: 15_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: `${stdout}${stderr}` });
    });
    p.stdin!.end(text);
  });
}

describe('checker in the app', () => {
  it('serves /healthz, /readyz and the check, scheduler and heartbeat metrics, which promtool accepts', async () => {
    const app = await buildApp(parseConfig(configText(), { env: {} }), { logger: false });
    apps.push(app);
    await app.ready();
    const health = await app.inject({ method: 'GET', url: '/healthz' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toEqual({ status: 'ok', problems: [] });
    expect((await app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'POST', url: '/debug/scheduler/stall?seconds=5' })).statusCode).toBe(404);

    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    for (const name of [
      'sockeye_check_interval_seconds{check="wedged"} 60',
      'sockeye_check_runs_total{check="wedged",result="failure"} 0',
      'sockeye_check_failures_total{check="wedged",reason="timeout"} 0',
      'sockeye_check_overruns_total{check="wedged"} 0',
      'sockeye_heartbeat_period_seconds{heartbeat="nightly"} 86400',
      'sockeye_heartbeat_grace_seconds{heartbeat="nightly"} 8640',
      'sockeye_heartbeat_pings_total{heartbeat="nightly",kind="success"} 0',
    ]) {
      expect(metrics).toContain(`${name}\n`);
    }
    expect(metrics).toMatch(/\nsockeye_scheduler_heartbeat_timestamp_seconds \d{10}/);
    // Lint just our families: naming, units, HELP, _total on counters.
    const ours = metrics
      .split('\n')
      .filter((l) => /^(# (HELP|TYPE) )?sockeye_(check|scheduler|heartbeat)_/.test(l))
      .join('\n');
    expect(ours).toContain('# HELP sockeye_check_success ');
    const lint = await promtoolCheckMetrics(`${ours}\n`);
    expect(lint, lint.output).toMatchObject({ code: 0 });
  });

  it('aborts the in-flight check on close, leaving no socket open', async () => {
    const app = await buildApp(parseConfig(configText(), { env: {} }), { logger: false });
    await app.ready();
    const deadline = Date.now() + 5000;
    while (held.size === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(held.size).toBe(1);
    await app.close();
    const closeDeadline = Date.now() + 2000;
    while (held.size > 0 && Date.now() < closeDeadline) await new Promise((r) => setTimeout(r, 10));
    expect(held.size).toBe(0);
  });

  it('does not keep the process alive after app.close()', async () => {
    // A child builds the app (check in flight, heartbeat state loaded), closes
    // it and then simply returns: it must exit by itself.
    const script = `
      import { buildApp } from './src/app.ts';
      import { parseConfig } from './src/config/load.ts';
      const app = await buildApp(parseConfig(${JSON.stringify(configText())}, { env: {} }), { logger: false });
      await app.ready();
      await new Promise((r) => setTimeout(r, 300));
      await app.close();
      process.stdout.write('closed\\n');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const exit = await new Promise<{ code: number | null; signal: string | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    clearTimeout(killer);
    expect({ ...exit, out }).toMatchObject({ code: 0, signal: null, out: expect.stringContaining('closed') });
  });
});

describe('the test-only scheduler stall, through the CLI', () => {
  it('is absent without SOCKEYE_ENABLE_TEST_HOOKS', async () => {
    const s = await startSockeye({ config: configText() });
    try {
      const res = await fetch(`${s.url}/debug/scheduler/stall?seconds=5`, { method: 'POST' });
      expect(res.status).toBe(404);
    } finally {
      await s.stop();
    }
  });

  it('stalls ticks while HTTP still answers: /healthz turns 503 naming the scheduler heartbeat', { timeout: 40_000 }, async () => {
    const s = await startSockeye({ config: configText(), env: { SOCKEYE_ENABLE_TEST_HOOKS: '1' } });
    try {
      const bad = await fetch(`${s.url}/debug/scheduler/stall?seconds=abc`, { method: 'POST' });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/seconds/);
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      const stall = await fetch(`${s.url}/debug/scheduler/stall?seconds=60`, { method: 'POST' });
      expect(stall.status).toBe(200);
      const stalledAt = Date.now();
      let res: Response | undefined;
      let body: { status: string; problems: string[] } | undefined;
      while (Date.now() - stalledAt < 25_000) {
        res = await fetch(`${s.url}/healthz`);
        body = (await res.json()) as typeof body;
        if (res.status === 503) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(res!.status).toBe(503);
      expect(body!.status).toBe('unhealthy');
      expect(body!.problems[0]).toMatch(/^scheduler heartbeat is \d+\.\ds old \(bound 10s\)$/);
      // Still serving: readiness and metrics answer; the heartbeat metric is stale.
      expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
      const m = await (await fetch(`${s.url}/metrics`)).text();
      const beat = Number(/\nsockeye_scheduler_heartbeat_timestamp_seconds (\S+)/.exec(m)![1]);
      expect(Date.now() / 1000 - beat).toBeGreaterThan(10);
    } finally {
      await s.stop();
    }
  });
});

describe('invalid checks through the CLI', () => {
  it('exits 2 naming every bad key, for serving and for check-config', async () => {
    const file = join(stateDir, 'bad.yaml');
    writeFileSync(
      file,
      `checks:
  - name: web
    every: 15s
    timeout: 15s
    http: { url: "http://127.0.0.1:8080/health" }
  - name: party
    every: 30s
    tcp: { address: "127.0.0.1", conversation: [{ expect: "(AHOY" }] }
`,
    );
    const want = [
      `${file}: invalid configuration`,
      '  checks[0].timeout: must be shorter than the interval (15s)',
      '  checks[1].tcp.address: expected host:port (IPv6 in brackets, e.g. [::1]:9855), got the string "127.0.0.1"',
      '  checks[1].tcp.conversation[0].expect: invalid regular expression: unterminated group in "(AHOY"',
    ];
    for (const args of [['check-config', file], ['--config', file, '--listen', '127.0.0.1:0']]) {
      const r = await runSockeye(args);
      expect({ code: r.code, stderr: r.stderr.trimEnd().split('\n') }, args.join(' ')).toEqual({ code: 2, stderr: want });
    }
  });
});
