import { spawnSync } from 'node:child_process';
import { splitFields } from '../fields.js';

// /proc/net/tcp shows a listener's accept queue (rx_queue) but not its
// backlog: tx_queue of a LISTEN row is always 0. The backlog is only in
// sock_diag (netlink), which Node cannot speak: the native addon's dump
// carries it (diag.ts); the text source asks `ss -ltne` (iproute2), which
// prints it as Send-Q.

/** `ss -Hltne` lines → backlog and queue by socket inode. */
export function parseSsListen(text: string): Map<number, { queue: number; backlog: number }> {
  const out = new Map<number, { queue: number; backlog: number }>();
  for (const line of text.split('\n')) {
    const f = splitFields(line);
    if (f[0] !== 'LISTEN' || f.length < 5) continue;
    const ino = f.find((x) => x.startsWith('ino:'));
    const inode = Number(ino?.slice(4));
    const queue = Number(f[1]);
    const backlog = Number(f[2]);
    if (!ino || !Number.isSafeInteger(inode) || !Number.isSafeInteger(queue) || !Number.isSafeInteger(backlog)) continue;
    out.set(inode, { queue, backlog });
  }
  return out;
}

/**
 * Listening TCP sockets of this process's network namespace; undefined when
 * ss is missing or fails, or could not use netlink: it then says so on
 * stderr, reads /proc/net/tcp itself and prints every backlog as 0.
 */
export function readSsListen(): Map<number, { queue: number; backlog: number }> | undefined {
  const r = spawnSync('ss', ['-Hltne'], { encoding: 'utf8', timeout: 5000, maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0 || r.stderr.trim() !== '') return undefined;
  return parseSsListen(r.stdout);
}
