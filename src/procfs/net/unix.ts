import { splitFields } from '../fields.js';
import { readProcLines } from '../read.js';
import { decAt, hexAt, TableStart } from './inet.js';

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

const isBlank = (c: number | undefined) => c === 32 || c === 9;

/**
 * Parses /proc/net/unix ("Num RefCount Protocol Flags Type St Inode Path")
 * from bytes, fed in chunks of whole lines. Rows not `wanted` are skipped
 * before anything is allocated; malformed rows are skipped.
 */
export class UnixTableParser {
  readonly rows: UnixSocket[] = [];
  private readonly start = new TableStart('net/unix', 'Num', false);
  private readonly fs = new Int32Array(8);
  private readonly fe = new Int32Array(8);
  constructor(private readonly wanted?: { has(inode: number): boolean }) {}

  push(b: Buffer, from: number, to: number): void {
    const { fs, fe, wanted } = this;
    let pos = this.start.skip(b, from, to);
    while (pos < to) {
      let end = b.indexOf(10, pos);
      if (end < 0 || end > to) end = to;
      let i = pos;
      pos = end + 1;
      // The first 7 fields; the path is the rest of the line.
      let n = 0;
      while (n < 8 && i < end) {
        while (i < end && isBlank(b[i])) i++;
        if (i >= end) break;
        fs[n] = i;
        if (n === 7) {
          n = 8;
          break;
        }
        while (i < end && !isBlank(b[i])) i++;
        fe[n] = i;
        n++;
      }
      if (n < 7) continue;
      const inode = decAt(b, fs[6]!, fe[6]!);
      if (inode < 0 || (wanted !== undefined && !wanted.has(inode))) continue;
      const flags = hexAt(b, fs[3]!, fe[3]!);
      const type = hexAt(b, fs[4]!, fe[4]!);
      const st = hexAt(b, fs[5]!, fe[5]!);
      if (flags < 0 || type < 0 || st < 0) continue;
      let path = '';
      if (n === 8) {
        let pe = end;
        while (pe > fs[7]! && isBlank(b[pe - 1])) pe--;
        path = b.toString('utf8', fs[7]!, pe);
        // Fields are joined by one space, as the kernel wrote them (a path with blanks).
        if (/\t| {2}/.test(path)) path = splitFields(path).join(' ');
      }
      this.rows.push({ inode, type, state: flags & SO_ACCEPTCON ? 'listen' : (STATES[st] ?? 'unknown'), path });
    }
  }

  end(): UnixSocket[] {
    this.start.end();
    return this.rows;
  }
}

export function parseNetUnix(text: string, wanted?: { has(inode: number): boolean }): UnixSocket[] {
  const b = Buffer.from(text, 'utf8');
  const p = new UnixTableParser(wanted);
  p.push(b, 0, b.length);
  return p.end();
}

export function readNetUnix(procRoot: string, pid: number, wanted?: { has(inode: number): boolean }): UnixSocket[] {
  const p = new UnixTableParser(wanted);
  readProcLines(`${procRoot}/${pid}/net/unix`, (b, s, e) => p.push(b, s, e));
  return p.end();
}
