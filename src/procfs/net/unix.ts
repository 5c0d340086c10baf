import { readFileSync } from 'node:fs';
import { ProcParseError } from '../errors.js';
import { splitFields } from '../fields.js';

/** One row of /proc/net/unix. */
export interface UnixSocket {
  inode: number;
  /** 1 stream, 2 dgram, 5 seqpacket. */
  type: number;
  /** listen, unconnected, connecting, connected, disconnecting. */
  state: string;
  /** Bound path ("@name" for the abstract namespace), or "" when unbound. */
  path: string;
}

const SO_ACCEPTCON = 0x10000;
const STATES: Record<number, string> = { 1: 'unconnected', 2: 'connecting', 3: 'connected', 4: 'disconnecting' };

// "Num RefCount Protocol Flags Type St Inode Path"
export function parseNetUnix(text: string, wanted?: { has(inode: number): boolean }): UnixSocket[] {
  const all = text.split('\n');
  if (!all[0]?.startsWith('Num')) throw new ProcParseError('net/unix', 'missing header line');
  const out: UnixSocket[] = [];
  for (let i = 1; i < all.length; i++) {
    const f = splitFields(all[i]!);
    if (f.length < 7) continue;
    const inode = Number(f[6]);
    if (!Number.isSafeInteger(inode) || (wanted !== undefined && !wanted.has(inode))) continue;
    const flags = parseInt(f[3]!, 16);
    const type = parseInt(f[4]!, 16);
    const st = parseInt(f[5]!, 16);
    if ([flags, type, st].some(Number.isNaN)) continue;
    out.push({ inode, type, state: flags & SO_ACCEPTCON ? 'listen' : (STATES[st] ?? 'unknown'), path: f.slice(7).join(' ') });
  }
  return out;
}

export function readNetUnix(procRoot: string, pid: number, wanted?: { has(inode: number): boolean }): UnixSocket[] {
  return parseNetUnix(readFileSync(`${procRoot}/${pid}/net/unix`, 'utf8'), wanted);
}
