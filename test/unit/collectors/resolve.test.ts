import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessTable, resolveTargets, type TargetSpec } from '../../../src/collectors/resolve.js';
import { openSource } from '../../../src/collectors/sources/index.js';
import type { MatchConfig } from '../../../src/config/targets.js';
import { FIXTURE_PROC_ROOT } from '../../support/collection.js';

const procRoot = FIXTURE_PROC_ROOT;
const table = () => new ProcessTable(openSource('text', { procRoot, cgroupRoot: procRoot }));
const dir = mkdtempSync(join(tmpdir(), 'sockeye-resolve-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function resolve(match: MatchConfig) {
  const spec: TargetSpec = { name: 't', match, processesMin: 1 };
  return (await resolveTargets([spec], table(), -1))[0]!;
}

describe('resolveTargets on the fixture tree', () => {
  it.each([
    ['comm regex', { comm: 'we' }, [4101, 4102]],
    ['comm anchored', { comm: '^python3$' }, [4200]],
    ['exe regex', { exe: '/node$' }, [4101, 4102]],
    ['cmdline regex', { cmdline: 'worker\\.py' }, [4200]],
    ['pid', { pid: 4102 }, [4102]],
    ['every matcher must match', { comm: 'web', cmdline: '--port 8080', pid: 4102 }, [4102]],
    ['one failing matcher excludes', { comm: 'web', exe: 'python' }, []],
    ['a zombie never matches', { pid: 4300 }, []],
    ['a kernel thread never matches', { comm: 'kthreadd' }, []],
    ['a pid that does not exist', { pid: 4999 }, []],
  ] as Array<[string, MatchConfig, number[]]>)('%s', async (_name, match, pids) => {
    const r = await resolve(match);
    expect(r.pids).toEqual(pids);
    expect(r.problems).toEqual([]);
  });

  it('reads the pid from a pidfile, combined with other matchers', async () => {
    expect((await resolve({ pidfile: file('ok.pid', '4101\n') })).pids).toEqual([4101]);
    expect((await resolve({ pidfile: file('ok2.pid', '4101\n'), comm: 'python' })).pids).toEqual([]);
    expect((await resolve({ pidfile: file('ok3.pid', '4101\n'), pid: 4102 })).pids).toEqual([]);
  });

  it.each([
    ['missing', join(dir, 'nope.pid'), /ENOENT/],
    ['not a pid', file('bad.pid', 'hello\n'), /does not hold a pid: "hello"/],
    ['empty', file('empty.pid', ''), /does not hold a pid/],
  ])('reports a pidfile that is %s as a problem and matches nothing', async (_name, pidfile, message) => {
    const r = await resolve({ pidfile });
    expect(r.pids).toEqual([]);
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]!.message).toMatch(message);
  });

  it('groups by comm in the zero-config default, leaving out itself', async () => {
    const groups = await resolveTargets(undefined, table(), 4101);
    expect(groups.map((g) => [g.spec.name, g.pids, g.spec.processesMin, g.auto])).toEqual([
      ['python3', [4200], 0, true],
      ['web', [4102], 0, true],
    ]);
  });
});

describe('the zero-config default', () => {
  /** A proc tree of stat files only: [pid, comm, ppid, rss pages, flags]. */
  function tree(procs: Array<[number, string, number, number, number?]>): string {
    const root = mkdtempSync(join(dir, 'proc-'));
    for (const [pid, comm, ppid, rss, flags = 4194560] of procs) {
      mkdirSync(join(root, String(pid)));
      writeFileSync(join(root, String(pid), 'stat'), `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 ${flags} 100 0 0 0 1 1 0 0 20 0 1 0 ${1000 + pid} 1000000 ${rss} 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n`);
    }
    return root;
  }
  const names = async (root: string, selfPid: number, maxGroups?: number) =>
    (await resolveTargets(undefined, new ProcessTable(openSource('text', { procRoot: root, cgroupRoot: root })), selfPid, maxGroups)).map((g) => [g.spec.name, g.pids]);

  it('keeps the command names with the most resident memory and sums the rest into "other", within the bound', async () => {
    const root = tree([
      [10, 'postgres', 1, 9000],
      [11, 'postgres', 10, 9000],
      [20, 'java', 1, 50000],
      [30, 'sshd', 1, 300],
      [40, 'cron', 1, 200],
      [50, 'tmp-job', 1, 100],
    ]);
    // 3 targets in all: the two biggest by summed RSS (postgres counts both its processes), then "other".
    expect(await names(root, -1, 3)).toEqual([
      ['java', [20]],
      ['postgres', [10, 11]],
      ['other', [30, 40, 50]],
    ]);
    // Everything fits: no "other".
    expect(await names(root, -1, 5)).toEqual([['cron', [40]], ['java', [20]], ['postgres', [10, 11]], ['sshd', [30]], ['tmp-job', [50]]]);
    expect(await names(root, -1, 4)).toEqual([['java', [20]], ['postgres', [10, 11]], ['sshd', [30]], ['other', [40, 50]]]);
  });

  it('ranks equal memory by name, so the same processes give the same targets', async () => {
    const root = tree([
      [10, 'b', 1, 100],
      [20, 'a', 1, 100],
      [30, 'c', 1, 100],
    ]);
    expect(await names(root, -1, 2)).toEqual([['a', [20]], ['other', [10, 30]]]);
  });

  it('sums a command that is itself named "other" into the one "other" target', async () => {
    const root = tree([
      [10, 'other', 1, 5],
      [20, 'big', 1, 100],
      [30, 'small', 1, 1],
    ]);
    expect(await names(root, -1, 2)).toEqual([['big', [20]], ['other', [10, 30]]]);
  });

  it('leaves out sockeye, every process it started (and theirs), and kernel threads', async () => {
    const root = tree([
      [2, 'kthreadd', 0, 0, 2129984],
      [100, 'node', 1, 5000], // sockeye
      [101, 'ss', 100, 10], // its helper
      [102, 'sh', 100, 10],
      [103, 'grandchild', 102, 10],
      [200, 'node', 1, 5000], // the app, another node
      [201, 'worker', 200, 10],
    ]);
    expect(await names(root, 100)).toEqual([['node', [200]], ['worker', [201]]]);
  });
});
