import { describe, expect, it } from 'vitest';
import { FD_TYPES, classifyFdLink, socketInode, summarizeFdLinks } from '../../../src/procfs/pid/fd.js';
import { requireAddon } from '../../../src/procfs/addon.js';

// Every link shape the kernel writes, and near misses: classifyFdLink is the
// reference, and native/fd.c's classification must agree on each.
const SHAPES: Array<[string, string]> = [
    ['/srv/www/index.html', 'file'],
    ['/srv/www/old.log (deleted)', 'file'],
    ['/memfd:buffer (deleted)', 'file'],
    ['/dev/null', 'device'],
    ['/dev/pts/0', 'device'],
    ['socket:[12345]', 'socket'],
    ['pipe:[999]', 'pipe'],
    ['anon_inode:[eventfd]', 'eventfd'],
    ['anon_inode:[eventpoll]', 'eventpoll'],
    ['anon_inode:[timerfd]', 'timerfd'],
    ['anon_inode:[signalfd]', 'signalfd'],
    ['anon_inode:inotify', 'inotify'],
    ['anon_inode:[io_uring]', 'anon_inode'],
    ['anon_inode:bpf-map', 'anon_inode'],
    ['net:[4026531840]', 'other'],
    ['', 'other'],
    ['/', 'file'],
    ['/dev', 'file'],
    ['/dev/', 'device'],
    ['anon_inode:[signalfd]x', 'anon_inode'],
    ['anon_inode:', 'anon_inode'],
    ['anon_inode:[inotify]', 'inotify'],
    ['anon_inode:[pidfd]', 'anon_inode'],
    ['socket:', 'other'],
    ['socket:[', 'socket'],
    ['pipe:', 'other'],
    ['/home/ünïcode/файл', 'file'],
    ['dev/null', 'other'],
    ['mnt:[4026531841]', 'other'],
];

describe('classifyFdLink', () => {
  it.each(SHAPES)('%j is %s', (link, type) => {
    expect(classifyFdLink(link)).toBe(type);
  });
});

describe('socketInode', () => {
  it.each([
    ['socket:[12345]', 12345],
    ['socket:[0]', 0],
    ['socket:[12345', undefined],
    ['socket:[]', undefined],
    ['socket:[abc]', undefined],
    ['pipe:[12345]', undefined],
    // Number() would take these; the kernel writes plain decimal, and so must the native walk.
    ['socket:[ 12]', undefined],
    ['socket:[1e3]', undefined],
    ['socket:[0x1f]', undefined],
    ['socket:[-1]', undefined],
    ['socket:[9007199254740991]', 9007199254740991],
    ['socket:[9007199254740992]', undefined],
    ['socket:[12345]x', undefined],
  ] as Array<[string, number | undefined]>)('%j → %s', (link, inode) => {
    expect(socketInode(link)).toBe(inode);
  });
});

describe('summarizeFdLinks', () => {
  it('counts kinds, paths in first-seen order, and socket inodes in order', () => {
    const s = summarizeFdLinks(['/b', 'socket:[7]', '/dev/null', '/a', '/b', 'socket:[3]', 'socket:[x]', 'pipe:[1]', '/b', 'anon_inode:[eventfd]']);
    expect(s.count).toBe(10);
    expect(s.types).toEqual({ file: 4, socket: 3, pipe: 1, anon_inode: 0, eventfd: 1, eventpoll: 0, timerfd: 0, signalfd: 0, inotify: 0, device: 1, other: 0 });
    expect([...s.paths]).toEqual([
      ['/b', 3],
      ['/dev/null', 1],
      ['/a', 1],
    ]);
    expect(s.socketInodes).toEqual([7, 3]);
  });
});

describe('native/fd.c classification', () => {
  const addon = requireAddon();
  const links = [...SHAPES.map(([l]) => l), 'socket:[ 12]', 'socket:[1e3]', 'socket:[9007199254740991]', 'socket:[9007199254740992]', 'socket:[0]', 'socket:[]', 'socket:[12345'];
  it.each(links)('agrees with classifyFdLink and socketInode on %j', (link) => {
    const [type, inode] = addon.classify(link);
    expect(FD_TYPES[type]).toBe(classifyFdLink(link));
    expect(inode).toBe(socketInode(link) ?? -1);
  });
});
