// The example app's faults, checked from the outside through /proc and ss,
// independent of sockeye: each switch really reproduces its incident.
import { execFileSync } from 'node:child_process';
import { readdirSync, readlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLabApp, type LabApp } from '../support/lab.js';
import { poll } from '../support/poll.js';

/** fd link targets of the given pids; a process gone mid-read counts as none. */
function fdLinks(pids: number[]): string[] {
  const out: string[] = [];
  for (const pid of pids) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) {
        try {
          out.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
        } catch {
          // closed meanwhile
        }
      }
    } catch {
      // process gone
    }
  }
  return out;
}

/** What the protocol server says to a client that sends RING, within ms. */
function converse(port: number, ms: number): Promise<string> {
  return new Promise((resolve) => {
    let got = '';
    const sock = connect({ host: '127.0.0.1', port });
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      got += d;
      if (got.includes('PLSAUTH') && !got.includes('AHOY')) sock.write('{"cmd":"RING"}\r\n');
      if (got.includes('AHOY-HOY')) sock.end();
    });
    sock.on('error', () => {});
    sock.on('close', () => resolve(got));
    setTimeout(() => sock.destroy(), ms);
  });
}

async function pidsOf(app: LabApp): Promise<number[]> {
  const s = await app.state();
  return [s.pid, ...s.workers.map((w) => w.pid)];
}

describe('example app', () => {
  let app: LabApp;
  beforeAll(async () => {
    app = await startLabApp({ name: 'itest', env: { APP_DRIVER_RATE: '50' } });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('answers the protocol conversation while healthy and goes silent when wedged', async () => {
    expect(await converse(app.ports.proto, 2000)).toBe('PLSAUTH\r\nAHOY-HOY\r\n');
    await app.fault('wedge', true);
    expect(await converse(app.ports.proto, 1000)).toBe('');
    await app.fault('wedge', false);
    expect(await converse(app.ports.proto, 2000)).toContain('AHOY-HOY');
  });

  it('leaks handles to index.html on HEAD only while head-leak is on', async () => {
    const count = async () => fdLinks(await pidsOf(app)).filter((l) => l === app.indexPath).length;
    for (let i = 0; i < 20; i++) await fetch(`http://127.0.0.1:${app.ports.http}/index.html`, { method: 'HEAD' });
    expect(await count()).toBe(0);
    await app.fault('head-leak', true);
    await poll(async () => (await count()) >= 30, { timeoutMs: 10_000, what: '30 leaked handles to index.html' });
    await app.fault('head-leak', false);
  });

  it('piles up CLOSE_WAIT on the line service while close-wait is on', async () => {
    const closeWait = () => execFileSync('ss', ['-Htn', 'state', 'close-wait', `sport = :${app.ports.line}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length;
    expect(closeWait()).toBe(0);
    await app.fault('close-wait', true);
    await poll(() => closeWait() >= 20, { timeoutMs: 10_000, what: '20 CLOSE_WAIT sockets on the line port' });
    await app.fault('close-wait', false);
  });

  it('opens connections to one peer and keeps them while peer-leak is on', async () => {
    await app.fault('peer-leak', true);
    const state = await app.state();
    expect(state.peer).toMatch(/^\[::1\]:\d+$/);
    const port = state.peer!.split(':').pop();
    const toPeer = () => Number(execFileSync('ss', ['-Htn', 'state', 'established', `dport = :${port}`], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).length);
    await poll(() => toPeer() >= 20, { timeoutMs: 10_000, what: '20 connections to the peer' });
    await app.fault('peer-leak', false);
    const held = toPeer();
    expect(held).toBeGreaterThanOrEqual(20); // never closed, even after the switch is off
  });

  it('retains memory for responses whose clients hung up while response-leak is on', async () => {
    expect((await app.state()).stats.reduce((n, s) => n + s.retainedBytes, 0)).toBe(0);
    await app.fault('response-leak', true);
    await poll(async () => (await app.state()).stats.reduce((n, s) => n + s.retainedBytes, 0) >= 50 * 1024 * 1024, {
      timeoutMs: 10_000,
      what: '50 MB retained by leaked responses',
    });
    await app.fault('response-leak', false);
  });

  it('loses workers one after another to the poisoned POST', async () => {
    const before = await app.state();
    await app.fault('poison', true);
    await poll(async () => (await app.state()).workerDeaths >= before.workerDeaths + 3, { timeoutMs: 20_000, what: 'three worker deaths' });
    await app.fault('poison', false);
    // Respawned: both slots filled again, by new processes.
    const oldPids = new Set(before.workers.map((w) => w.pid));
    const after = await poll(async () => {
      const s = await app.state();
      return s.workers.length === 2 && s;
    }, { timeoutMs: 10_000, what: 'two workers again' });
    expect(after.workers.filter((w) => !oldPids.has(w.pid)).length).toBeGreaterThan(0);
  });

  it('refuses unknown faults and bad states with a JSON reason', async () => {
    const base = `http://127.0.0.1:${app.ports.admin}/admin/fault`;
    const unknown = await fetch(`${base}/nope/on`, { method: 'POST' });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/unknown fault "nope"/);
    const bad = await fetch(`${base}/wedge?state=maybe`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/on or \/off/);
  });
});
