import { describe, expect, it } from 'vitest';
import { parsePidStat, isKernelThread } from '../../../src/procfs/pid/stat.js';
import { parsePidStatus } from '../../../src/procfs/pid/status.js';
import { parsePidLimits, openFilesLimit } from '../../../src/procfs/pid/limits.js';
import { parseCmdline } from '../../../src/procfs/pid/cmdline.js';
import { parseNsLink } from '../../../src/procfs/pid/ns.js';
import { parsePidCgroup } from '../../../src/procfs/pid/cgroup.js';
import { parseBootTime } from '../../../src/procfs/stat.js';
import { ProcParseError } from '../../../src/procfs/errors.js';

const STAT = '4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 567 0 0 20 0 7 0 98765 12345678 2000 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 3 0 0 0 0 0';

describe('parsePidStat', () => {
  it('reads the fields after a comm that holds spaces and parentheses', () => {
    const s = parsePidStat(STAT);
    expect(s).toEqual({ pid: 4242, comm: 'my (odd) name', state: 'S', ppid: 1, flags: 4194560, utimeTicks: 1234, stimeTicks: 567, threads: 7, starttimeTicks: 98765, rssPages: 2000 });
    expect(isKernelThread(s)).toBe(false);
  });
  it('recognises kernel threads by PF_KTHREAD', () => {
    const k = parsePidStat('2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 3 0 0 18446744073709551615 0 0 0 0 0 0 0 2147483647 0 0 0 0 0 1 0 0 0 0 0');
    expect(isKernelThread(k)).toBe(true);
  });
  it.each([
    ['empty', ''],
    ['no parentheses', '4242 bash S 1 2 3'],
    ['truncated before starttime', '4242 (bash) S 1 4242 4242 0 -1 4194560 500 0 0 0 1234 567 0 0 20 0 7 0'],
    ['non-numeric field', STAT.replace(' 1234 ', ' x ')],
  ])('rejects %s', (_name, text) => {
    expect(() => parsePidStat(text)).toThrow(ProcParseError);
  });
});

const STATUS = 'Name:\tnode\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t77\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nVmRSS:\t   51200 kB\nThreads:\t11\n';

describe('parsePidStatus', () => {
  it.each([
    ['a user process', STATUS, { name: 'node', uid: 1000, threads: 11, residentBytes: 51200 * 1024 }],
    ['a kernel thread without VmRSS', 'Name:\tkworker/0:1\nUid:\t0\t0\t0\t0\nThreads:\t1\n', { name: 'kworker/0:1', uid: 0, threads: 1, residentBytes: undefined }],
  ])('reads %s', (_name, text, expected) => {
    expect(parsePidStatus(text)).toEqual(expected);
  });
  it.each([
    ['empty', ''],
    ['truncated before Threads', STATUS.slice(0, STATUS.indexOf('Threads'))],
    ['VmRSS without unit', STATUS.replace('51200 kB', '51200')],
  ])('rejects %s', (_name, text) => {
    expect(() => parsePidStatus(text)).toThrow(ProcParseError);
  });
});

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units     
Max cpu time              unlimited            unlimited            seconds   
Max open files            1024                 524288               files     
Max locked memory         8388608              8388608              bytes     
Max realtime timeout      unlimited            unlimited            us        
`;

describe('parsePidLimits', () => {
  it('reads soft and hard open-files limits and unlimited values', () => {
    const l = parsePidLimits(LIMITS);
    expect(openFilesLimit(l)).toEqual({ soft: 1024, hard: 524288 });
    expect(l.get('Max cpu time')).toEqual({ soft: null, hard: null });
    expect(l.get('Max realtime timeout')).toEqual({ soft: null, hard: null });
    expect(l.size).toBe(4);
  });
  it('leaves open files undefined when the file does not list it', () => {
    expect(openFilesLimit(parsePidLimits(LIMITS.split('\n').filter((l) => !l.includes('open files')).join('\n')))).toBeUndefined();
  });
  it.each([
    ['empty', ''],
    ['no header', LIMITS.split('\n').slice(1).join('\n')],
    ['a garbage row', `${LIMITS}garbage\n`],
    ['a non-numeric limit', LIMITS.replace('1024 ', 'lots ')],
    ['a row cut mid-way', `${LIMITS}Max open files            10`],
  ])('rejects %s', (_name, text) => {
    expect(() => parsePidLimits(text)).toThrow(ProcParseError);
  });
});

describe('small files', () => {
  it.each([
    ['node\x00server.js\x00--port\x00080\x00', 'node server.js --port 080'],
    ['', ''],
    ['single', 'single'],
    ['a\0\0b\0', 'a  b'],
  ])('parseCmdline(%j)', (text, expected) => {
    expect(parseCmdline(text)).toBe(expected);
  });
  it.each([
    ['net:[4026531840]', 4026531840],
    ['net:[]', undefined],
    ['/not/a/namespace', undefined],
  ])('parseNsLink(%j)', (text, expected) => {
    expect(parseNsLink(text)).toBe(expected);
  });
  it.each([
    ['cpu  1 2 3\nbtime 1700000000\nprocesses 5\n', 1700000000],
    ['cpu  1 2 3\n', undefined],
    ['btime garbage\n', undefined],
  ])('parseBootTime(%j)', (text, expected) => {
    expect(parseBootTime(text)).toBe(expected);
  });
});

describe('parsePidCgroup', () => {
  it('reads v1 and v2 lines', () => {
    expect(parsePidCgroup('12:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n0::/system.slice/app.service\n')).toEqual([
      { id: 12, controllers: ['memory'], path: '/docker/abc' },
      { id: 4, controllers: ['cpu', 'cpuacct'], path: '/docker/abc' },
      { id: 0, controllers: [], path: '/system.slice/app.service' },
    ]);
  });
  it('keeps a path containing colons', () => {
    expect(parsePidCgroup('0::/a:b\n')).toEqual([{ id: 0, controllers: [], path: '/a:b' }]);
  });
  it.each([
    ['no colons', 'garbage\n'],
    ['truncated', '0:\n'],
    ['non-numeric id', 'x::/\n'],
    ['relative path', '0::relative\n'],
  ])('rejects %s', (_name, text) => {
    expect(() => parsePidCgroup(text)).toThrow(ProcParseError);
  });
});
