import http from 'node:http';
import net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createChecker, SCHEDULER_STALE_MS, checkStaleBoundMs, type Checker } from '../../src/checks/index.js';
import { CheckRunner } from '../../src/checks/runner.js';
import { Scheduler } from '../../src/checks/scheduler.js';
import { parseConfig } from '../../src/config/load.js';
import { checkFrom, metricValue, newRegistry } from './checks-support.js';
import { captureLogger } from '../support/collection.js';

// The scheduler with the real runner and real servers on 127.0.0.1.
let okServer: http.Server;
let silent: net.Server;
const held = new Set<net.Socket>();
let okPort = 0;
let silentPort = 0;

beforeAll(async () => {
  okServer = http.createServer((_req, res) => res.end('ok'));
  silent = net.createServer((s) => {
    held.add(s);
    s.on('close', () => held.delete(s));
  });
  await new Promise<void>((r) => okServer.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  okPort = (okServer.address() as net.AddressInfo).port;
  silentPort = (silent.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const s of held) s.destroy();
  await new Promise((r) => okServer.close(r));
  await new Promise((r) => silent.close(r));
});

const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(stops.splice(0).map((s) => s()));
});

async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 8000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('scheduler ticks driven by hand', () => {
  it('runs checks when due, stamps the heartbeat on every tick, counts an overrun instead of stacking, and stops cleanly', async () => {
    const registry = newRegistry();
    const log = captureLogger();
    const ok = checkFrom('ok', { http: { url: `http://127.0.0.1:${okPort}/` } }, '5s');
    const slow = checkFrom('slow', { timeout: '9s', tcp: { address: `127.0.0.1:${silentPort}`, conversation: [{ expect: 'HELLO' }] } }, '10s');
    const runner = new CheckRunner([ok, slow], registry, log);
    const scheduler = new Scheduler([ok, slow], runner, registry, log);
    stops.push(() => scheduler.stop());
    // An hour ahead, so the real once-a-second ticks find nothing due and only our ticks count.
    const t0 = Date.now() + 3_600_000;
    const runs = (check: string, result: string) => metricValue(registry, 'sockeye_check_runs_total', { check, result });
    const heartbeat = () => metricValue(registry, 'sockeye_scheduler_heartbeat_timestamp_seconds', {});

    scheduler.start(t0);
    expect(await heartbeat()).toBe(t0 / 1000);
    expect(runner.isRunning('slow')).toBe(true);
    await until('first ok run', async () => (await runs('ok', 'success')) === 1);

    scheduler.tick(t0 + 1000);
    expect(await heartbeat()).toBe(t0 / 1000 + 1);
    expect(await runs('ok', 'success')).toBe(1);

    scheduler.tick(t0 + 5000);
    await until('second ok run', async () => (await runs('ok', 'success')) === 2);

    // slow is due again while its first run waits for its 9s timeout.
    scheduler.tick(t0 + 10_000);
    expect(await metricValue(registry, 'sockeye_check_overruns_total', { check: 'slow' })).toBe(1);
    expect(held.size).toBe(1); // not stacked: still one connection
    await until('third ok run', async () => (await runs('ok', 'success')) === 3);

    // A stall: ticks do nothing, heartbeat and checks stay where they were.
    // (The real once-a-second tick may have stamped the heartbeat while we
    // awaited the third run, so compare with its value just before the stall.)
    const beforeStall = await heartbeat();
    scheduler.stall(60_000, t0 + 10_000);
    scheduler.tick(t0 + 15_000);
    expect(await heartbeat()).toBe(beforeStall);
    expect(runner.isRunning('ok')).toBe(false);

    await scheduler.stop();
    // The in-flight run was aborted, not recorded as a failure, and its socket is gone.
    expect(await runs('slow', 'failure')).toBe(0);
    expect(runner.isRunning('slow')).toBe(false);
    await until('server sees the connection closed', () => held.size === 0, 2000);
    expect(scheduler.running).toBe(false);
  });

  it('starts cron checks at their next matching time, not at start', async () => {
    const registry = newRegistry();
    const log = captureLogger();
    const yearly = parseConfig(`checks:\n  - name: yearly\n    schedule: "0 0 1 1 *"\n    http: { url: "http://127.0.0.1:${okPort}/" }`, { env: {} }).checks[0]!;
    const runner = new CheckRunner([yearly], registry, log);
    const scheduler = new Scheduler([yearly], runner, registry, log);
    stops.push(() => scheduler.stop());
    scheduler.start();
    expect(runner.isRunning('yearly')).toBe(false);
    expect(await metricValue(registry, 'sockeye_check_interval_seconds', { check: 'yearly' })).toBeGreaterThanOrEqual(365 * 86400);
  });
});

describe('scheduler on real node-cron ticks', () => {
  it('keeps ticking and running an every: 1s check', async () => {
    const registry = newRegistry();
    const config = parseConfig(`checks:\n  - name: fast\n    every: 1s\n    http: { url: "http://127.0.0.1:${okPort}/" }`, { env: {} });
    const checker = createChecker(config, registry, captureLogger());
    stops.push(() => checker.stop());
    checker.start();
    const started = Date.now();
    await until('three runs', async () => ((await metricValue(registry, 'sockeye_check_runs_total', { check: 'fast', result: 'success' })) ?? 0) >= 3);
    const beat = (await metricValue(registry, 'sockeye_scheduler_heartbeat_timestamp_seconds', {}))! * 1000;
    expect(beat).toBeGreaterThan(started); // stamped by a later tick than the one at start
    expect(checker.health(Date.now())).toEqual({ ok: true, problems: [] });
    const status = checker.status();
    expect(status.scheduler.running).toBe(true);
    expect(status.checks[0]).toMatchObject({ name: 'fast', type: 'http', lastResult: 'success', reason: null, intervalSeconds: 1, timeoutSeconds: 0.5 });
    expect(status.checks[0]!.history.length).toBeGreaterThanOrEqual(3);
  });
});

describe('deep health', () => {
  let checker: Checker;
  afterEach(async () => checker?.stop());

  it('names the stale scheduler heartbeat and the check that has not run, with their bounds', async () => {
    const config = parseConfig(`checks:\n  - name: minutely\n    every: 1m\n    timeout: 2s\n    tcp: { address: "127.0.0.1:${silentPort}", conversation: [{ expect: "x" }] }`, { env: {} });
    checker = createChecker(config, newRegistry(), captureLogger());
    expect(checker.health(Date.now())).toEqual({ ok: false, problems: ['scheduler is not running'] });
    checker.start();
    const s = checker.status();
    const tick = s.scheduler.lastTickAt!;
    expect(checker.health(tick + 1000).ok).toBe(true);

    const bound = checkStaleBoundMs(60_000, 2_000);
    expect(bound).toBe(127_000);
    const later = tick + bound + 1000;
    expect(checker.health(later)).toEqual({
      ok: false,
      problems: [`scheduler heartbeat is ${((later - tick) / 1000).toFixed(1)}s old (bound 10s)`, `check minutely: has not run since start ${((later - tick) / 1000).toFixed(1)}s ago (bound 127s)`],
    });
    const justStale = tick + SCHEDULER_STALE_MS + 1;
    expect(checker.health(justStale).problems).toEqual([`scheduler heartbeat is 10.0s old (bound 10s)`]);
  });
});
