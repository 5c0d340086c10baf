import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runSockeye, startSockeye } from '../support/sockeye.js';
import { worldReadableCopy } from '../support/world-readable.js';

// The real sockeye (dist/main.js) against a full disk and a state file it may
// not read.

const tmp = mkdtempSync(join(tmpdir(), 'sockeye-durability-'));
chmodSync(tmp, 0o755); // uid 65534 must reach the files of its cases
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.splice(0)) execFileSync('umount', [m]);
  rmSync(tmp, { recursive: true, force: true });
});

const AS_NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all'];
/** The dist/main.js uid 65534 runs: a world-readable copy, as this checkout may sit in a private directory. */
const mainAsNobody = async () => join(await worldReadableCopy(), 'dist/main.js');

function metric(m: string, line: string): string | undefined {
  return m.split('\n').find((l) => l.startsWith(`${line} `))?.split(' ')[1];
}

describe('a full disk', () => {
  it('answers 503 to pings it cannot store, and only the acknowledged ones are there after a restart', { timeout: 60_000 }, async () => {
    const mnt = join(tmp, 'small');
    mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', mnt]);
    mounts.push(mnt);
    const config = { targets: [], stateDir: join(mnt, 'state'), heartbeats: [{ name: 'backup', period: '1h' }] };
    const s = await startSockeye({ config });
    try {
      expect((await fetch(`${s.url}/ping/backup`, { method: 'POST', body: 'first run ok' })).status).toBe(200);
      // Fill what is left of the file system.
      const filler = join(mnt, 'filler');
      try {
        writeFileSync(filler, Buffer.alloc(1024 * 1024));
      } catch (err) {
        expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
      }
      for (let i = 0; i < 4; i++) {
        const res = await fetch(`${s.url}/ping/backup/fail`, { method: 'POST', body: `rejected ${i} ${'log line\n'.repeat(2000)}` });
        expect(res.status).toBe(503);
        expect(((await res.json()) as { error: string }).error).toMatch(/could not store the ping durably/);
      }
      const during = await (await fetch(`${s.url}/metrics`)).text();
      expect(metric(during, 'sockeye_heartbeat_pings_total{heartbeat="backup",kind="fail"}')).toBe('0');
      expect(readdirSync(join(mnt, 'state', 'heartbeats'))).toEqual(['backup.json']);
      rmSync(filler);
      expect((await fetch(`${s.url}/ping/backup`, { method: 'POST', body: 'second run ok' })).status).toBe(200);
      expect(s.logs()).not.toContain('rejected 0');
    } finally {
      process.kill(s.pid, 'SIGKILL');
      await s.stop();
    }
    const again = await startSockeye({ config });
    try {
      const m = await (await fetch(`${again.url}/metrics`)).text();
      expect(metric(m, 'sockeye_heartbeat_pings_total{heartbeat="backup",kind="success"}')).toBe('2');
      expect(metric(m, 'sockeye_heartbeat_pings_total{heartbeat="backup",kind="fail"}')).toBe('0');
      const pings = (await (await fetch(`${again.url}/api/heartbeats/backup/pings`)).json()) as { pings: Array<{ body: string }> };
      expect(pings.pings.map((p) => p.body)).toEqual(['second run ok', 'first run ok']);
      expect(readdirSync(join(mnt, 'state', 'heartbeats'))).toEqual(['backup.json']);
    } finally {
      await again.stop();
    }
  });
});

describe('a state file sockeye may not read', () => {
  it('stops startup with a clear error (EACCES) and leaves the file as it was', { timeout: 30_000 }, async () => {
    const dir = join(tmp, 'eacces');
    const state = join(dir, 'state');
    mkdirSync(join(state, 'heartbeats'), { recursive: true });
    for (const d of [dir, state, join(state, 'heartbeats')]) chmodSync(d, 0o777);
    const file = join(state, 'heartbeats', 'backup.json');
    const content = JSON.stringify({ version: 1, name: 'backup', state: { firstSeen: 1, counts: { success: 41 } } });
    writeFileSync(file, content, { mode: 0o600 }); // root's, unreadable for uid 65534
    const configPath = join(dir, 'sockeye.yaml');
    writeFileSync(configPath, stringify({ targets: [], listen: '127.0.0.1:0', stateDir: state, heartbeats: [{ name: 'backup', period: '1h' }] }), { mode: 0o644 });
    const r = await runSockeye(['--config', configPath], { wrapper: AS_NOBODY, cwd: dir, main: await mainAsNobody() });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^sockeye: cannot read heartbeat state file ${file.replace(/[.]/g, '\\.')}: permission denied`));
    expect(r.stderr).not.toMatch(/^\s+at /m);
    expect(readFileSync(file, 'utf8')).toBe(content);
    expect(readdirSync(join(state, 'heartbeats'))).toEqual(['backup.json']);
  });
});

describe('configuration that cannot work', () => {
  it('check-config and startup name a stateDir sockeye cannot write', { timeout: 30_000 }, async () => {
    const dir = join(tmp, 'readonly');
    mkdirSync(join(dir, 'state'), { recursive: true });
    chmodSync(dir, 0o755);
    chmodSync(join(dir, 'state'), 0o755); // root's: not writable for uid 65534
    const configPath = join(dir, 'sockeye.yaml');
    writeFileSync(configPath, stringify({ targets: [], stateDir: join(dir, 'state'), heartbeats: [{ name: 'backup', period: '1h' }] }));
    const main = await mainAsNobody();
    for (const args of [['check-config', configPath], ['--config', configPath, '--listen', '127.0.0.1:0']]) {
      const r = await runSockeye(args, { wrapper: AS_NOBODY, cwd: dir, main });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toBe(`${configPath}: configuration cannot work on this host\n  stateDir: "${join(dir, 'state')}" is not writable: permission denied (heartbeat state is kept there)\n`);
    }
    // The same file as root is fine, and check-config creates nothing.
    const ok = await runSockeye(['check-config', configPath], { cwd: dir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(readdirSync(join(dir, 'state'))).toEqual([]);
  });

  it('names a stateDir that cannot be created and a procRoot that is not a proc tree', async () => {
    const dir = join(tmp, 'paths');
    mkdirSync(dir);
    writeFileSync(join(dir, 'file'), '');
    const configPath = join(dir, 'sockeye.yaml');
    writeFileSync(configPath, stringify({ targets: [], procRoot: join(dir, 'nope'), stateDir: join(dir, 'file', 'state'), heartbeats: [{ name: 'backup', period: '1h' }] }));
    const r = await runSockeye(['check-config', configPath]);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `${configPath}: configuration cannot work on this host\n` +
        `  procRoot: cannot read "${join(dir, 'nope')}": no such file\n` +
        `  stateDir: "${join(dir, 'file', 'state')}" cannot be created: ${join(dir, 'file')} is not a directory (heartbeat state is kept there)\n`,
    );
    writeFileSync(configPath, stringify({ targets: [], procRoot: dir }));
    const notProc = await runSockeye(['check-config', configPath]);
    expect(notProc.stderr).toBe(`${configPath}: configuration cannot work on this host\n  procRoot: "${dir}" is not a proc tree (no process directories in it)\n`);
  });

  it('refuses a 50 MB config file quickly with a clear message, at check-config and at startup', { timeout: 30_000 }, async () => {
    const big = join(tmp, 'big.yaml');
    const line = '# ' + 'x'.repeat(1021) + '\n';
    writeFileSync(big, line.repeat(50 * 1024));
    expect(statSync(big).size).toBe(50 * 1024 * 1024);
    for (const args of [['check-config', big], ['--config', big]]) {
      const r = await runSockeye(args, { timeoutMs: 10_000 });
      expect(r.signal).toBeNull();
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`${big}: cannot read config file: larger than 4 MiB; a sockeye config is a few KB (is this the right file?)\n`);
    }
  });
});

describe('no heartbeats, no disk', () => {
  it('never creates the stateDir', async () => {
    const dir = mkdtempSync(join(tmp, 'nodisk-'));
    const s = await startSockeye({ config: { targets: [], stateDir: join(dir, 'state') }, cwd: dir });
    await s.stop();
    expect(existsSync(join(dir, 'state'))).toBe(false);
  });
});
