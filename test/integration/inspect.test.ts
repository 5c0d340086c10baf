import { execFile, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectReport } from '../../src/inspect/report.js';
import { killAllHolders, spawnHolder, type HoldSpec, type Holder } from '../support/procs.js';
import { MAIN_JS, REPO_ROOT, runSockeye } from '../support/sockeye.js';
import { worldReadableCopy } from '../support/world-readable.js';

// `sockeye inspect` (the built CLI) against a real process holding a known
// set of fds and sockets: what it prints must be what the process holds.

const dir = mkdtempSync(join(tmpdir(), 'sockeye-inspect-'));
const INDEX = join(dir, 'index.html');
const SPEC = {
  files: [{ path: INDEX, count: 40 }],
  pipes: 2,
  eventfds: 1,
  listen: [{ host: '127.0.0.1', backlog: 16 }],
  connections: [
    { listener: 0, count: 3, state: 'close_wait' },
    { listener: 0, count: 2, state: 'established' },
    { listener: 0, count: 1, state: 'pending' },
  ],
} satisfies HoldSpec;
// Derived from SPEC, never from sockeye's output: stdio (node's spawn gives
// the holder 3 unix socketpair ends, not pipes) + files +
// 2 per pipe + eventfds + listeners + 1 per CLOSE_WAIT + both ends of each
// established pair + the client end of each pending connection.
const EXPECTED_FDS = 3 + 40 + 2 * 2 + 1 + 1 + 3 + 2 * 2 + 1;

let holder: Holder;
beforeAll(async () => {
  holder = await spawnHolder(SPEC, { tag: `inspect-${process.pid}` });
});
afterAll(async () => {
  await killAllHolders();
  rmSync(dir, { recursive: true, force: true });
});

const port = () => holder.report.listeners[0]!.port;

describe('sockeye inspect PID --json', () => {
  let report: InspectReport;
  beforeAll(async () => {
    const r = await runSockeye(['inspect', String(holder.pid), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    report = JSON.parse(r.stdout) as InspectReport;
  });

  it('reports the one process with its fds, by type and by path', () => {
    expect(report.targets).toHaveLength(1);
    const t = report.targets[0]!;
    expect(t).toMatchObject({ name: String(holder.pid), pids: [holder.pid], processes: 1, readable: true, openFds: EXPECTED_FDS });
    expect(t.topPaths[0]).toEqual({ name: INDEX, count: 40 });
    const byType = Object.fromEntries(t.fdsByType.map((f) => [f.name, f.count]));
    expect(byType).toEqual({ file: 40, pipe: 2 * 2, eventfd: 1, socket: 3 + 1 + 3 + 4 + 1 });
    expect(t.processList).toMatchObject([{ pid: holder.pid, readable: true, openFds: EXPECTED_FDS }]);
    expect(t.processList[0]!.cmdline).toContain(`sockeye-holder inspect-${process.pid}`);
  });

  it('reports sockets by state, the peer with its states, and the accept queue against the backlog', () => {
    const t = report.targets[0]!;
    const sockets = Object.fromEntries(t.sockets.map((s) => [`${s.protocol} ${s.state}`, s.count]));
    expect(sockets).toEqual({ 'tcp listen': 1, 'tcp close_wait': 3, 'tcp established': 2 * 2 + 1, 'unix connected': 3 });
    expect(t.topPeers).toHaveLength(1);
    expect(t.topPeers[0]!.peer).toBe('127.0.0.1');
    expect(Object.fromEntries(t.topPeers[0]!.states.map((s) => [s.name, s.count]))).toEqual({ close_wait: 3, established: 5 });
    expect(t.listen).toEqual([{ port: port(), queue: 1, backlog: 16 }]);
  });
});

describe('sockeye inspect PID --json under a seccomp profile that refuses netlink', () => {
  // A restrictive container profile: sock_diag (the addon's dump, and ss's)
  // fails with EPERM. The sockets then come from /proc/net/tcp; the
  // backlogs, which only netlink gives, are unknown, not 0.
  let noNetlink: string;
  beforeAll(() => {
    noNetlink = join(dir, 'no-netlink');
    execFileSync('gcc', ['-O2', '-Wall', '-o', noNetlink, join(REPO_ROOT, 'test/support/no-netlink.c')]);
    expect(spawnSync(noNetlink, ['ss', '-Hltn'], { encoding: 'utf8' }).stderr).toMatch(/Cannot open netlink socket: Operation not permitted/);
  });

  it.each([
    ['the native source', {}],
    ['the text source', { SOCKEYE_NATIVE: '0' }],
  ])('%s: the same sockets from the tables, the backlog unknown', async (_name, env) => {
    const r = await runSockeye(['inspect', String(holder.pid), '--json'], { wrapper: [noNetlink], env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const t = (JSON.parse(r.stdout) as InspectReport).targets[0]!;
    expect(Object.fromEntries(t.sockets.map((s) => [`${s.protocol} ${s.state}`, s.count]))).toEqual({ 'tcp listen': 1, 'tcp close_wait': 3, 'tcp established': 2 * 2 + 1, 'unix connected': 3 });
    expect(t.listen).toEqual([{ port: port(), queue: 1, backlog: null }]);
  });
});

describe('sockeye inspect PID (plain text, not a terminal)', () => {
  it('prints the bars, the top path, socket states and the listen queue, without colour codes', async () => {
    const r = await runSockeye(['inspect', String(holder.pid)]);
    expect(r.code).toBe(0);
    const out = r.stdout;
    expect(out).not.toContain('\x1b[');
    expect(out.split('\n')[0]).toBe(`${holder.pid}  OK  1 process (pid ${holder.pid})`);
    expect(out).toMatch(new RegExp(`^  fds +\\[#*-+\\] ${EXPECTED_FDS} / [\\d,]+ \\d+%$`, 'm'));
    expect(out).toMatch(new RegExp(`^ +40  ${INDEX.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
    expect(out).toContain('tcp CLOSE_WAIT 3');
    expect(out).toContain('tcp ESTABLISHED 5');
    expect(out).toMatch(/^ +8  127\.0\.0\.1 +(CLOSE_WAIT 3, ESTABLISHED 5|ESTABLISHED 5, CLOSE_WAIT 3)$/m);
    expect(out).toMatch(new RegExp(`^    port ${port()} +accept queue 1 / 16$`, 'm'));
    expect(out).toMatch(/^  command   \S*python3 -I \S*holder\.py /m);
  });
});

describe('sockeye inspect --watch, piped', () => {
  // Not a terminal: no redraw codes; --json gives one document per refresh.
  async function watch(args: string[], until: (out: string) => boolean): Promise<{ code: number | null; out: string }> {
    const child = spawn(process.execPath, [MAIN_JS, 'inspect', String(holder.pid), '--watch', '300ms', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (until(out)) child.kill('SIGINT');
    });
    const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    clearTimeout(killer);
    return { code, out };
  }

  it('appends one plain block per refresh and ends with status 0 on SIGINT', async () => {
    const { code, out } = await watch([], (o) => (o.match(/^sockeye inspect pid/gm) ?? []).length >= 2);
    expect(code).toBe(0);
    expect(out).not.toContain('\x1b');
    expect(out).toMatch(new RegExp(`^sockeye inspect pid ${holder.pid} · every 300ms · \\d\\d:\\d\\d:\\d\\d UTC\nchanged since last refresh: first sample\n`, 'm'));
    expect(out).toMatch(/^changed since last refresh: (no change|.*fds.*)$/m);
  });

  it('--json prints one report per line', async () => {
    const { code, out } = await watch(['--json'], (o) => o.split('\n').length > 2);
    expect(code).toBe(0);
    const docs = out.trim().split('\n').map((l) => JSON.parse(l) as InspectReport);
    expect(docs.length).toBeGreaterThanOrEqual(2);
    for (const d of docs) expect(d.targets[0]).toMatchObject({ pids: [holder.pid], openFds: EXPECTED_FDS });
  });
});

describe('names chosen by the inspected process', () => {
  it('a path with a newline and an escape sequence is printed escaped, never raw', async () => {
    const evil = join(dir, 'evil\n\x1b[2Jname');
    const p = await spawnHolder({ files: [{ path: evil, count: 2 }] });
    const r = await runSockeye(['inspect', String(p.pid)]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('\x1b');
    expect(r.stdout).toContain(`2  ${join(dir, 'evil')}\\n\\x1b[2Jname`);
    // JSON keeps the real name: a script gets the exact path.
    const j = await runSockeye(['inspect', String(p.pid), '--json']);
    expect((JSON.parse(j.stdout) as InspectReport).targets[0]!.topPaths[0]).toEqual({ name: evil, count: 2 });
    await p.kill();
  });
});

describe('sockeye inspect TARGET', () => {
  it('with --config, inspects the configured target by name', async () => {
    const cfg = join(dir, 'sockeye.yaml');
    writeFileSync(cfg, `targets:\n  - name: holder\n    match: { cmdline: "sockeye-holder inspect-${process.pid}$" }\n  - name: other\n    match: { comm: "^nothing-here$" }\n`);
    const r = await runSockeye(['inspect', 'holder', '--config', cfg, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as InspectReport;
    expect(report.targets.map((t) => [t.name, t.pids, t.openFds])).toEqual([['holder', [holder.pid], EXPECTED_FDS]]);

    // No target named: every configured target, including one with no process.
    const all = await runSockeye(['inspect', '--config', cfg]);
    expect(all.code).toBe(0);
    expect(all.stdout).toMatch(new RegExp(`^holder  OK  1 process \\(pid ${holder.pid}\\)$`, 'm'));
    expect(all.stdout).toContain('other  CRITICAL  0 processes\n  ! no process running (expected at least 1)\n');

    const unknown = await runSockeye(['inspect', 'nope', '--config', cfg]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain(`sockeye: no target named "nope" in ${cfg} (targets: holder, other); give a target name or a pid`);
  });

  it('without a config, a command name is a zero-config group of every process with that comm', async () => {
    const comm = `skinsp${process.pid % 100000}`;
    const a = await spawnHolder({ comm, files: [{ path: join(dir, 'a.log'), count: 2 }] });
    const b = await spawnHolder({ comm, files: [{ path: join(dir, 'a.log'), count: 5 }] });
    const r = await runSockeye(['inspect', comm, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const t = (JSON.parse(r.stdout) as InspectReport).targets;
    expect(t).toHaveLength(1);
    expect(t[0]!.name).toBe(comm);
    expect(t[0]!.auto).toBe(true);
    expect([...t[0]!.pids].sort()).toEqual([a.pid, b.pid].sort());
    expect(t[0]!.topPaths[0]).toEqual({ name: join(dir, 'a.log'), count: 7 });
    await Promise.all([a.kill(), b.kill()]);
  });
});

describe('sockeye inspect --proc-root (the fixture proc tree of test/fixtures/proc)', () => {
  const FIXTURE = join(REPO_ROOT, 'test', 'fixtures', 'proc');

  it('reads another /proc: pid 4101 of the fixture holds 30 fds against a limit of 1024, one of them a deleted file', async () => {
    const r = await runSockeye(['inspect', '4101', '--proc-root', FIXTURE, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const t = (JSON.parse(r.stdout) as InspectReport).targets[0]!;
    expect(t).toMatchObject({ pids: [4101], openFds: 30, maxFds: 1024 });
    expect(t.topPaths.map((p) => p.name)).toContain('/var/log/app.log (deleted)');
    expect(t.processList[0]!.cmdline).toBe('node server.js --port 8080');
  });

  it('a zombie is not inspectable, and says so', async () => {
    const r = await runSockeye(['inspect', '4300', '--proc-root', FIXTURE]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('sockeye: pid 4300 is not a user-space process sockeye can inspect (a kernel thread, a zombie, or it just exited)\n');
  });
});

describe('sockeye inspect errors', () => {
  it('a pid that does not exist: exit 1, naming the /proc path', async () => {
    // A pid that existed a moment ago and is now free: the likeliest typo.
    const gone = spawnSync('true').pid;
    const r = await runSockeye(['inspect', String(gone)]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(`sockeye: no process with pid ${gone} (/proc/${gone} does not exist)\n`);
  });

  it('a command name nobody runs: exit 1', async () => {
    const r = await runSockeye(['inspect', 'no-such-command-x']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('sockeye: no process with command name "no-such-command-x"');
  });

  it.each([
    [['inspect'], 'sockeye: inspect: expected a pid, a target name, or --config FILE (every configured target)'],
    [['inspect', '1', '2'], 'sockeye: inspect: expected one pid or target name, got 2 (1 2)'],
    [['inspect', '1', '--watch', 'soon'], 'sockeye: --watch: expected a duration of at least 200ms such as "2s", got "soon"'],
    [['inspect', '1', '--watch', '10ms'], 'sockeye: --watch: expected a duration of at least 200ms such as "2s", got "10ms"'],
    [['inspect', '1', '--proc-root', '/nonexistent-proc'], 'sockeye: --proc-root: /nonexistent-proc does not exist'],
  ])('bad usage %j: exit 2 with the reason', async (args, message) => {
    const r = await runSockeye(args);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe(message);
  });

  it('a process whose fd directory cannot be read: exit 1, naming the capabilities that are missing', async () => {
    // As root, setpriv runs sockeye as nobody without capabilities against
    // the root-owned holder; as anyone else, the holder is ours, so use pid 1.
    // nobody runs a world-readable copy: this checkout may sit in a private directory.
    const root = process.getuid?.() === 0;
    const copy = root ? await worldReadableCopy() : REPO_ROOT;
    const main = join(copy, 'dist/main.js');
    const [cmd, args, pid, uid] = root
      ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', '--inh-caps=-all', process.execPath, main, 'inspect', String(holder.pid)], holder.pid, 65534]
      : [process.execPath, [main, 'inspect', '1'], 1, process.getuid?.()];
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(cmd as string, args as string[], { cwd: copy, timeout: 15_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? null) : 0, stdout, stderr }));
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      `sockeye: cannot read /proc/${pid}/fd: reading another user's /proc/PID/fd needs the same uid, or CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (sockeye runs as uid ${uid}, the process as uid 0; missing CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH)\n`,
    );
  });
});

