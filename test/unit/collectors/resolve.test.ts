import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
