import { describe, expect, it } from 'vitest';
import { classifyFdLink, socketInode } from '../../../src/procfs/pid/fd.js';

describe('classifyFdLink', () => {
  it.each([
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
  ])('%j is %s', (link, type) => {
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
  ])('%j → %s', (link, inode) => {
    expect(socketInode(link)).toBe(inode);
  });
});
