// The sockets collector reads a namespace's tables only until every socket
// inode of its processes is found: a socket is a row of exactly one table.
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collectText, FIXTURE_PROC_ROOT } from '../support/collection.js';

const procRoot = mkdtempSync(join(tmpdir(), 'sockeye-tables-'));
afterAll(() => rmSync(procRoot, { recursive: true, force: true }));

/** Process 4101 of the fixture tree holding only these fd links; tcp6, udp, udp6 and unix cannot be read (directories: EISDIR). */
function tree(links: string[]): void {
  rmSync(procRoot, { recursive: true, force: true });
  cpSync(join(FIXTURE_PROC_ROOT, 'stat'), join(procRoot, 'stat'));
  cpSync(join(FIXTURE_PROC_ROOT, '4101'), join(procRoot, '4101'), { recursive: true, verbatimSymlinks: true });
  const fd = join(procRoot, '4101', 'fd');
  rmSync(fd, { recursive: true });
  mkdirSync(fd);
  links.forEach((l, i) => symlinkSync(l, join(fd, String(i))));
  for (const t of ['tcp6', 'udp', 'udp6', 'unix']) {
    rmSync(join(procRoot, '4101', 'net', t));
    mkdirSync(join(procRoot, '4101', 'net', t));
  }
}

const collect = () => collectText({ procRoot, cgroupRoot: procRoot, topN: 10, longLivedAfterMs: 300_000, targets: [{ name: 'web', match: { pid: 4101 }, processesMin: 1 }] });
const sockets = (snap: Awaited<ReturnType<typeof collect>>) => snap.collectors.find((c) => c.name === 'sockets')!.success;

describe('namespace tables', () => {
  it('are not read past the one that held the last socket', async () => {
    tree(['socket:[7001]', 'socket:[7002]', 'socket:[7003]']);
    const snap = await collect();
    expect(sockets(snap)).toBe(true);
    expect(snap.targets[0]!.total.sockets).toEqual([
      { protocol: 'tcp', state: 'close_wait', count: 1 },
      { protocol: 'tcp', state: 'established', count: 1 },
      { protocol: 'tcp', state: 'listen', count: 1 },
    ]);
  });

  it('are all read while a socket is still missing (here: unreadable ones make the collector fail)', async () => {
    tree(['socket:[7001]', 'socket:[7030]']);
    expect(sockets(await collect())).toBe(false);
  });

  it('are not joined when the fd walk failed: sockets and listen_backlog fail with it', async () => {
    tree(['socket:[7001]']);
    // A regular file in fd/: readlink fails with EINVAL, an unexpected error (not a vanished fd, not a denial).
    writeFileSync(join(procRoot, '4101', 'fd', '1'), '');
    const snap = await collect();
    const failed = snap.collectors.filter((c) => !c.success).map((c) => c.name);
    expect(failed).toEqual(['fd', 'sockets', 'listen_backlog']);
    expect(snap.targets[0]!.processes[0]!.problems).toContainEqual(expect.objectContaining({ collector: 'fd', kind: 'error', path: '4101/fd/1' }));
  });
});
