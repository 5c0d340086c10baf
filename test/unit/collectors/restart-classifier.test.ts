import { describe, expect, it } from 'vitest';
import { RestartClassifier, type ProcessIdentity } from '../../../src/collectors/restart-classifier.js';

const rule = { minLifetimeMs: 30_000, replacedWithinMs: 60_000 };
/** A process started at `startedAt` ms (its start time in ticks made from it). */
const proc = (pid: number, ppid: number, startedAt: number, command = 'nginx\0nginx: worker process'): ProcessIdentity => ({ pid, ppid, command, startedAt, starttime: startedAt / 10 });

describe('RestartClassifier', () => {
  it('reveals nothing on the first look, nor while the same processes stay', () => {
    const c = new RestartClassifier(rule);
    expect(c.observe('web', [proc(10, 1, 0), proc(11, 10, 0)], 100_000)).toEqual({ starts: 0, exits: 0, restarts: 0 });
    expect(c.observe('web', [proc(10, 1, 0), proc(11, 10, 0)], 115_000)).toEqual({ starts: 0, exits: 0, restarts: 0 });
  });

  it('counts a worker killed and respawned by its master once', () => {
    const c = new RestartClassifier(rule);
    const master = proc(10, 1, 0, 'nginx\0nginx: master process');
    c.observe('web', [master, proc(11, 10, 0), proc(12, 10, 0)], 100_000);
    expect(c.observe('web', [master, proc(12, 10, 0), proc(13, 10, 110_000)], 115_000)).toEqual({ starts: 1, exits: 1, restarts: 1 });
  });

  it('counts pid reuse with a new start time as a new process', () => {
    const c = new RestartClassifier(rule);
    c.observe('web', [proc(11, 10, 0)], 100_000);
    expect(c.observe('web', [proc(11, 10, 110_000)], 115_000)).toEqual({ starts: 1, exits: 1, restarts: 1 });
  });

  it('counts the whole app restarted (master and its workers) once: the workers pair through their replaced master', () => {
    const c = new RestartClassifier(rule);
    const old = [proc(10, 1, 0, 'app\0app master'), proc(11, 10, 1000, 'app\0app worker'), proc(12, 10, 1000, 'app\0app worker')];
    c.observe('app', old, 100_000);
    const fresh = [proc(20, 1, 110_000, 'app\0app master'), proc(21, 20, 110_500, 'app\0app worker'), proc(22, 20, 110_500, 'app\0app worker')];
    expect(c.observe('app', fresh, 115_000)).toEqual({ starts: 3, exits: 3, restarts: 1 });
  });

  it('pairs workers that come a collection after their new master through it too', () => {
    const c = new RestartClassifier(rule);
    c.observe('app', [proc(10, 1, 0, 'app\0master'), proc(11, 10, 0, 'app\0worker')], 100_000);
    expect(c.observe('app', [proc(20, 1, 110_000, 'app\0master')], 115_000)).toEqual({ starts: 1, exits: 2, restarts: 1 });
    expect(c.observe('app', [proc(20, 1, 110_000, 'app\0master'), proc(21, 20, 120_000, 'app\0worker')], 130_000)).toEqual({ starts: 1, exits: 0, restarts: 0 });
  });

  it('counts N workers dying one after another, each respawned, N times', () => {
    const c = new RestartClassifier(rule);
    const master = proc(10, 1, 0, 'node\0node server.js');
    let workers = [proc(11, 10, 0), proc(12, 10, 0), proc(13, 10, 0)];
    c.observe('web', [master, ...workers], 100_000);
    let total = 0;
    for (let i = 0; i < 3; i++) {
      const now = 115_000 + i * 15_000;
      workers = [...workers.slice(1), proc(20 + i, 10, now - 1000)];
      total += c.observe('web', [master, ...workers], now).restarts;
    }
    expect(total).toBe(3);
  });

  it('counts nothing for connection-scoped children that end without replacement (12 sessions)', () => {
    const c = new RestartClassifier(rule);
    const postmaster = proc(10, 1, 0, 'postgres\0postgres -D /data');
    const sessions = Array.from({ length: 12 }, (_, i) => proc(100 + i, 10, 1000, `postgres\0postgres: app db 10.0.0.5(${40000 + i}) idle`));
    c.observe('pg', [postmaster, ...sessions], 100_000);
    expect(c.observe('pg', [postmaster], 115_000)).toEqual({ starts: 0, exits: 12, restarts: 0 });
    expect(c.observe('pg', [postmaster], 130_000)).toEqual({ starts: 0, exits: 0, restarts: 0 });
  });

  it('counts nothing for short-lived children replaced all the time (a prefork server at 10 connections a second)', () => {
    const c = new RestartClassifier(rule);
    const parent = proc(10, 1, 0, 'srv\0srv');
    c.observe('srv', [parent], 0);
    let pid = 100;
    let exits = 0;
    let restarts = 0;
    let alive: ProcessIdentity[] = [];
    // One collection a second for 10 minutes; each child lives ~0.5 s: some are seen once, then replaced.
    for (let t = 1000; t <= 600_000; t += 1000) {
      const r = c.observe('srv', [parent, ...alive], t);
      exits += r.exits;
      restarts += r.restarts;
      alive = Array.from({ length: 5 }, () => proc(pid++, 10, t + 500, 'srv\0srv'));
    }
    expect(exits).toBeGreaterThan(2500);
    expect(restarts).toBe(0);
  });

  it('does not count scale-up, a replacement after the window, or a new process under another parent or command', () => {
    const c = new RestartClassifier(rule);
    c.observe('web', [proc(11, 10, 0)], 100_000);
    expect(c.observe('web', [proc(11, 10, 0), proc(12, 10, 101_000)], 102_000)).toEqual({ starts: 1, exits: 0, restarts: 0 });
    expect(c.observe('web', [proc(12, 10, 101_000)], 140_000).restarts).toBe(0);
    // 11 lived 140 s: a replacement would count, but none comes in time.
    expect(c.observe('web', [proc(12, 10, 101_000), proc(13, 10, 205_000)], 210_000).restarts).toBe(0);
    expect(c.observe('web', [proc(13, 10, 205_000)], 300_000).restarts).toBe(0);
    expect(c.observe('web', [proc(14, 99, 301_000)], 305_000).restarts).toBe(0);
    expect(c.observe('web', [proc(15, 99, 306_000, 'other\0other')], 400_000).restarts).toBe(0);
  });

  it('does not count a process missing from one collection and back in the next as its own replacement', () => {
    const c = new RestartClassifier(rule);
    const server = proc(10, 1, 0, 'srv\0srv');
    c.observe('srv', [server], 100_000);
    expect(c.observe('srv', [], 115_000)).toEqual({ starts: 0, exits: 1, restarts: 0 });
    expect(c.observe('srv', [server], 130_000)).toEqual({ starts: 1, exits: 0, restarts: 0 });
  });

  it('uses first sight where the start time is unknown', () => {
    const c = new RestartClassifier(rule);
    const p = (pid: number): ProcessIdentity => ({ pid, ppid: 1, command: 'x\0x', startedAt: null, starttime: pid });
    c.observe('x', [p(1)], 0);
    expect(c.observe('x', [p(2)], 10_000).restarts).toBe(0); // 1 was seen for 0 s only
    expect(c.observe('x', [p(2)], 50_000).restarts).toBe(0);
    expect(c.observe('x', [p(3)], 51_000).restarts).toBe(1); // 2 seen from 10 s to 50 s
  });

  it('keeps targets apart and expires the ones no longer seen', () => {
    const c = new RestartClassifier({ minLifetimeMs: 0, replacedWithinMs: 5000 });
    c.observe('a', [proc(1, 0, 0)], 0);
    c.observe('b', [proc(2, 0, 0)], 0);
    expect(c.observe('a', [proc(3, 0, 500)], 1000).restarts).toBe(1);
    expect(c.expire(5500)).toEqual(['b']);
    expect(c.observe('b', [proc(4, 0, 5000)], 6000)).toEqual({ starts: 0, exits: 0, restarts: 0 });
  });
});
