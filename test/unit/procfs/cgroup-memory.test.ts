import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseMemoryLimit, readCgroupMemoryLimit } from '../../../src/procfs/cgroup-memory.js';

describe('parseMemoryLimit', () => {
  it.each([
    ['max\n', null],
    ['536870912\n', 536870912],
    ['9223372036854771712\n', null],
    ['', undefined],
    ['12ab', undefined],
  ])('%j → %s', (text, expected) => {
    expect(parseMemoryLimit(text)).toBe(expected);
  });
});

describe('readCgroupMemoryLimit', () => {
  const root = mkdtempSync(join(tmpdir(), 'sockeye-cgroup-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const put = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };

  it('v2: takes the lowest limit on the path, ignoring "max"', () => {
    put('v2/cgroup.controllers', 'memory\n');
    put('v2/kubepods/memory.max', '1073741824\n');
    put('v2/kubepods/pod1/memory.max', 'max\n');
    put('v2/kubepods/pod1/app/memory.max', '2147483648\n');
    expect(readCgroupMemoryLimit(join(root, 'v2'), [{ id: 0, controllers: [], path: '/kubepods/pod1/app' }])).toBe(1073741824);
  });
  it('v2: no limit anywhere is null', () => {
    put('v2b/app/memory.max', 'max\n');
    expect(readCgroupMemoryLimit(join(root, 'v2b'), [{ id: 0, controllers: [], path: '/app' }])).toBeNull();
  });
  it('v1: reads memory/…/memory.limit_in_bytes; the huge value means none', () => {
    put('v1/memory/memory.limit_in_bytes', '9223372036854771712\n');
    put('v1/memory/docker/abc/memory.limit_in_bytes', '268435456\n');
    const entries = [
      { id: 4, controllers: ['cpu', 'cpuacct'], path: '/docker/abc' },
      { id: 12, controllers: ['memory'], path: '/docker/abc' },
    ];
    expect(readCgroupMemoryLimit(join(root, 'v1'), entries)).toBe(268435456);
    expect(readCgroupMemoryLimit(join(root, 'v1'), [{ id: 12, controllers: ['memory'], path: '/' }])).toBeNull();
  });
  it('a cgroup not visible from here (other namespace) is no limit, not its ancestor’s', () => {
    put('v2c/memory.max', '1000\n');
    expect(readCgroupMemoryLimit(join(root, 'v2c'), [{ id: 0, controllers: [], path: '/elsewhere' }])).toBeNull();
  });
});
