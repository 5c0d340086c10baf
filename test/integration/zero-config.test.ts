import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessTable, resolveTargets } from '../../src/collectors/resolve.js';
import { openSource } from '../../src/collectors/sources/index.js';

const procTable = () => new ProcessTable(openSource('text', { procRoot: '/proc', cgroupRoot: '/sys/fs/cgroup' }));
import { poll } from '../support/poll.js';
import { startSockeye } from '../support/sockeye.js';

// The zero-config default (no targets: every process by command name) on the
// real /proc of this machine, bounded, without sockeye's own processes.

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
});

const ppidOf = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
};

describe('zero-config default', () => {
  it('on the built server: at most maxGroups targets, the rest in "other", no zero-valued fd type series, sockeye not in any', async () => {
    // This machine runs far more than 4 command names (node, the test runner, a shell or two...).
    const s = await startSockeye({ config: { maxGroups: 4 } });
    const body = await (await fetch(`${s.url}/metrics`)).text();
    const targets = new Set([...body.matchAll(/^sockeye_target_processes\{target="([^"]*)"\} \d+$/gm)].map((m) => m[1]));
    expect(targets.size).toBe(4);
    expect(targets).toContain('other');
    const fdLines = body.split('\n').filter((l) => l.startsWith('sockeye_process_fds{'));
    expect(fdLines.length).toBeGreaterThan(0);
    expect(fdLines.filter((l) => / 0$/.test(l))).toEqual([]);

    const status = (await (await fetch(`${s.url}/api/status`)).json()) as { targets: Array<{ name: string; pids: number[] }> };
    const pids = status.targets.flatMap((t) => t.pids);
    expect(status.targets.map((t) => t.name).sort()).toEqual([...targets].sort());
    expect(pids).not.toContain(s.pid);
    // The test runner (sockeye's parent) is watched like any other process.
    expect(pids).toContain(process.pid);
    await s.stop();
  });

  it('leaves out the processes a given pid started, and theirs, on the real /proc', async () => {
    // A shell (standing in for sockeye) with a child and a grandchild.
    const sh = spawn('sh', ['-c', 'sh -c "sleep 300 & wait" & sleep 300 & wait'], { stdio: 'ignore' });
    children.push(sh);
    const tree = await poll(
      () => {
        const all = procTable().pids();
        const kids = all.filter((p) => ppidOf(p) === sh.pid);
        const grandkids = all.filter((p) => kids.includes(ppidOf(p) ?? -1));
        return kids.length === 2 && grandkids.length === 1 ? [sh.pid!, ...kids, ...grandkids] : undefined;
      },
      { timeoutMs: 10_000, what: 'the shell, its two children and its grandchild' },
    );
    const watched = async (selfPid: number) => (await resolveTargets(undefined, procTable(), selfPid)).flatMap((g) => g.pids);
    expect(await watched(-1)).toEqual(expect.arrayContaining(tree));
    const without = await watched(sh.pid!);
    expect(tree.filter((p) => without.includes(p))).toEqual([]);
    expect(without).toContain(process.pid);
  });
});
