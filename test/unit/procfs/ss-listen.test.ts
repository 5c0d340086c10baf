import { describe, expect, it } from 'vitest';
import { parseSsListen } from '../../../src/procfs/net/ss-listen.js';

describe('parseSsListen', () => {
  it('reads queue and backlog by inode for IPv4 and IPv6 listeners', () => {
    const text = [
      'LISTEN 3      511          0.0.0.0:8080      0.0.0.0:*    ino:7001 sk:1 cgroup:/ <->',
      'LISTEN 0      8              [::1]:40421        [::]:*    uid:1000 ino:7010 sk:2 cgroup:/app v6only:1 <->',
      '',
    ].join('\n');
    expect([...parseSsListen(text)]).toEqual([
      [7001, { queue: 3, backlog: 511 }],
      [7010, { queue: 0, backlog: 8 }],
    ]);
  });
  it.each([
    ['a non-listening row', 'ESTAB 0 0 127.0.0.1:1 127.0.0.1:2 ino:5 sk:1'],
    ['no inode', 'LISTEN 0 16 127.0.0.1:1 0.0.0.0:*'],
    ['a truncated row', 'LISTEN 0 16'],
    ['garbage numbers', 'LISTEN x 16 127.0.0.1:1 0.0.0.0:* ino:5'],
  ])('skips %s', (_name, text) => {
    expect(parseSsListen(text).size).toBe(0);
  });
});
