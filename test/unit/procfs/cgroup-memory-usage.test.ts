import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findMemoryCgroup } from '../../../src/procfs/cgroup-memory.js';
import { parseFlatKeyed, parseMemoryUsage, readCgroupMemoryUsage, workingSetBytes } from '../../../src/procfs/cgroup-memory-usage.js';
import { ProcParseError } from '../../../src/procfs/errors.js';

describe('parseFlatKeyed', () => {
  it('reads memory.events, memory.oom_control and memory.stat lines', () => {
    expect(parseFlatKeyed('low 0\nhigh 0\nmax 12\noom 2\noom_kill 1\noom_group_kill 0\n', 'memory.events')).toEqual(
      new Map([['low', 0], ['high', 0], ['max', 12], ['oom', 2], ['oom_kill', 1], ['oom_group_kill', 0]]),
    );
    expect(parseFlatKeyed('oom_kill_disable 0\nunder_oom 0\noom_kill 3', 'memory.oom_control').get('oom_kill')).toBe(3);
    expect(parseFlatKeyed('inactive_file 18446744073709\n\nhierarchical_memory_limit 9223372036854771712\n', 'memory.stat')).toEqual(new Map([['inactive_file', 18446744073709], ['hierarchical_memory_limit', 9223372036854771712]]));
  });
  it.each([
    ['oom_kill\n', 'memory.events: malformed line "oom_kill"'],
    ['oom_kill -1\n', 'memory.events: malformed line "oom_kill -1"'],
    ['oom_kill 1 2\n', 'memory.events: malformed line "oom_kill 1 2"'],
    ['oom_kill one\n', 'memory.events: malformed line "oom_kill one"'],
  ])('rejects %j', (text, message) => {
    expect(() => parseFlatKeyed(text, 'memory.events')).toThrow(new ProcParseError('memory.events', message.slice('memory.events: '.length)));
  });
});

describe('parseMemoryUsage', () => {
  it('reads one number of bytes', () => {
    expect(parseMemoryUsage('314572800\n', 'memory.current')).toBe(314572800);
  });
  it.each(['', 'max\n', '12 kB\n'])('rejects %j', (text) => {
    expect(() => parseMemoryUsage(text, 'memory.current')).toThrow(/^memory\.current: expected a number of bytes/);
  });
});

describe('workingSetBytes', () => {
  it('is usage minus inactive file: v2 inactive_file, v1 total_inactive_file', () => {
    const stat = new Map([['inactive_file', 100], ['total_inactive_file', 300]]);
    expect(workingSetBytes(1000, stat, 2)).toBe(900);
    expect(workingSetBytes(1000, stat, 1)).toBe(700);
  });
  it('is floored at 0 (the counters are read at slightly different times)', () => {
    expect(workingSetBytes(100, new Map([['inactive_file', 150]]), 2)).toBe(0);
  });
  it('throws when memory.stat lacks the line', () => {
    expect(() => workingSetBytes(100, new Map([['inactive_file', 1]]), 1)).toThrow('memory.stat: no total_inactive_file');
  });
});

describe('readCgroupMemoryUsage', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockeye-cgroup-usage-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const put = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  it('v2: memory.current - inactive_file, oom_kill from memory.events', () => {
    put('v2/pod/app/memory.max', 'max\n');
    put('v2/pod/app/memory.current', '5000\n');
    put('v2/pod/app/memory.stat', 'anon 3000\ninactive_file 1500\n');
    put('v2/pod/app/memory.events', 'low 0\nhigh 0\nmax 0\noom 1\noom_kill 4\n');
    const cg = findMemoryCgroup(join(root, 'v2'), [{ id: 0, controllers: [], path: '/pod/app' }]);
    expect(cg).toEqual({ version: 2, mount: join(root, 'v2'), path: '/pod/app' });
    expect(readCgroupMemoryUsage(cg!)).toEqual({ workingSetBytes: 3500, oomKills: 4 });
  });
  it('v1: memory.usage_in_bytes - total_inactive_file, oom_kill from memory.oom_control; none without that line (old kernels)', () => {
    put('v1/memory/memory.limit_in_bytes', '9223372036854771712\n');
    put('v1/memory/job/memory.limit_in_bytes', '1000000\n');
    put('v1/memory/job/memory.usage_in_bytes', '8000\n');
    put('v1/memory/job/memory.stat', 'inactive_file 1\ntotal_inactive_file 3000\n');
    put('v1/memory/job/memory.oom_control', 'oom_kill_disable 0\nunder_oom 0\n');
    const cg = findMemoryCgroup(join(root, 'v1'), [{ id: 3, controllers: ['cpu'], path: '/other' }, { id: 4, controllers: ['memory'], path: '/job' }]);
    expect(cg).toEqual({ version: 1, mount: join(root, 'v1/memory'), path: '/job' });
    expect(readCgroupMemoryUsage(cg!)).toEqual({ workingSetBytes: 5000, oomKills: null });
  });
  it('the root cgroup has none: v1 root is the whole machine, the v2 root has no memory.current', () => {
    put('v1r/memory/memory.limit_in_bytes', '9223372036854771712\n');
    put('v1r/memory/memory.usage_in_bytes', '8000\n');
    put('v1r/memory/memory.stat', 'total_inactive_file 3000\n');
    expect(readCgroupMemoryUsage(findMemoryCgroup(join(root, 'v1r'), [{ id: 4, controllers: ['memory'], path: '/' }])!)).toBeUndefined();
    put('v2r/memory.stat', 'inactive_file 1\n');
    put('v2r/app/memory.max', 'max\n');
    expect(readCgroupMemoryUsage({ version: 2, mount: join(root, 'v2r'), path: '' })).toBeUndefined();
  });
  it('a malformed file is an error, not a silent zero', () => {
    put('v2m/app/memory.max', 'max\n');
    put('v2m/app/memory.current', '5000\n');
    put('v2m/app/memory.stat', 'inactive_file lots\n');
    expect(() => readCgroupMemoryUsage({ version: 2, mount: join(root, 'v2m'), path: '/app' })).toThrow(ProcParseError);
  });
});
