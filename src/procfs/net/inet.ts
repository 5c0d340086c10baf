import { endianness } from 'node:os';
import { ProcParseError } from '../errors.js';
import { readProcLines } from '../read.js';

// The shared row format of /proc/net/{tcp,tcp6,udp,udp6}:
//   sl  local_address rem_address   st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...

/** One socket row. Addresses stay in the kernel's hex until someone needs them. */
export interface InetSocket {
  inode: number;
  localHex: string;
  localPort: number;
  remoteHex: string;
  remotePort: number;
  /** Kernel state number (TCP_ESTABLISHED = 1 ... TCP_LISTEN = 10). */
  state: number;
  txQueue: number;
  rxQueue: number;
}

const FIELD_START = new Int32Array(12);
const FIELD_END = new Int32Array(12);

/** Records the first `want` field boundaries of line [from, to) in FIELD_START/END; returns how many were found. */
function scanFields(b: Uint8Array, from: number, to: number, want: number): number {
  let n = 0;
  let i = from;
  while (i < to && n < want) {
    while (i < to && b[i] === 32) i++;
    if (i >= to) break;
    FIELD_START[n] = i;
    while (i < to && b[i] !== 32) i++;
    FIELD_END[n] = i;
    n++;
  }
  return n;
}

// Numbers are read in place: a table of 30,000 rows must not become 30,000 substrings.
export function hexAt(b: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 13) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const c = b[i]!;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 65 && c <= 70 ? c - 55 : c >= 97 && c <= 102 ? c - 87 : -1;
    if (d < 0) return -1;
    n = n * 16 + d;
  }
  return n;
}

export function decAt(b: Uint8Array, start: number, end: number): number {
  if (end <= start || end - start > 15) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = b[i]! - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Skips the blanks from i, then one field; returns where the field ends (FIELD_START/END[k] set), or -1 at the line's end. */
function fieldFrom(b: Uint8Array, i: number, to: number, k: number): number {
  while (i < to && b[i] === 32) i++;
  if (i >= to) return -1;
  FIELD_START[k] = i;
  while (i < to && b[i] !== 32) i++;
  FIELD_END[k] = i;
  return i;
}

/**
 * The kernel prints every row with one format whose fields up to `retrnsmt`
 * have fixed widths ("%4d: %08X:%04X %08X:%04X %02X %08X:%08X %02X:%08lX
 * %08X", addresses 32 hex digits in tcp6/udp6): past the `sl` column the
 * fields sockeye reads are found by offset, and only uid, timeout and inode
 * are scanned for — a third of the bytes of a full scan, at 60,000 rows per
 * collection. Sets FIELD_START/END for fields 1-4 and 9, as scanFields would;
 * false when any separator is not where the format puts it (the caller then
 * scans the row field by field).
 */
function fixedFields(b: Uint8Array, from: number, to: number): boolean {
  let i = from;
  while (i < to && b[i] === 32) i++;
  while (i < to && b[i] !== 58 /* : */ && b[i] !== 32) i++;
  if (b[i] !== 58 || b[i + 1] !== 32) return false;
  const p = i + 2;
  const a = b[p + 8] === 58 ? 8 : b[p + 32] === 58 ? 32 : 0;
  if (a === 0) return false;
  const r = p + a + 6; // remote address
  const s = r + a + 6; // state
  const q = s + 3; // tx_queue:rx_queue
  const u = q + 39; // past tr:tm->when and retrnsmt: uid, timeout, inode follow
  if (u > to || b[p + a + 5] !== 32 || b[r + a] !== 58 || b[r + a + 5] !== 32 || b[s + 2] !== 32 || b[q + 8] !== 58 || b[q + 17] !== 32 || b[q + 20] !== 58 || b[q + 29] !== 32 || b[q + 38] !== 32) return false;
  FIELD_START[1] = p;
  FIELD_END[1] = p + a + 5;
  FIELD_START[2] = r;
  FIELD_END[2] = r + a + 5;
  FIELD_START[3] = s;
  FIELD_END[3] = s + 2;
  FIELD_START[4] = q;
  FIELD_END[4] = q + 17;
  const uidEnd = fieldFrom(b, u, to, 7);
  const timeoutEnd = uidEnd < 0 ? -1 : fieldFrom(b, uidEnd, to, 8);
  return timeoutEnd >= 0 && fieldFrom(b, timeoutEnd, to, 9) >= 0;
}

/** Position of `ch` in b[start, end), or -1. */
function indexIn(b: Uint8Array, ch: number, start: number, end: number): number {
  for (let i = start; i < end; i++) if (b[i] === ch) return i;
  return -1;
}

/** What String.prototype.trimStart drops, for one latin1 byte (0xA0 is NBSP). */
function isJsWhitespace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13) || c === 0xa0;
}

/**
 * The header check and first-line skip shared by the table parsers, fed
 * chunks of whole lines: the file (after leading whitespace) must start with
 * `header`; its first line is never a row.
 */
export class TableStart {
  private checked = false;
  private firstLineDone = false;
  constructor(
    private readonly file: string,
    private readonly header: string,
    private readonly trim: boolean,
  ) {}

  /** Where rows start in b[start, end): past the file's first line. Throws on a wrong header. */
  skip(b: Uint8Array, start: number, end: number): number {
    let i = start;
    if (!this.checked) {
      let h = i;
      if (this.trim) while (h < end && isJsWhitespace(b[h]!)) h++;
      if (h < end || !this.trim) {
        for (let k = 0; k < this.header.length; k++) {
          if (h + k >= end || b[h + k] !== this.header.charCodeAt(k)) throw new ProcParseError(this.file, 'missing header line');
        }
        this.checked = true;
      }
    }
    if (!this.firstLineDone) {
      const nl = b.indexOf(10, i);
      if (nl < 0 || nl >= end) return end;
      this.firstLineDone = true;
      i = nl + 1;
    }
    return i;
  }

  end(): void {
    if (!this.checked) throw new ProcParseError(this.file, 'missing header line');
  }
}

/**
 * Parses /proc/net/{tcp,udp}{,6} from bytes, fed in chunks of whole lines
 * (see readProcLines). With `wanted`, rows whose inode is not in it are
 * skipped before anything is allocated for them: a namespace may hold tens of
 * thousands of sockets of which a target owns a few. Malformed rows are
 * skipped (the kernel writes none; a truncated read may).
 */
export class InetTableParser {
  readonly rows: InetSocket[] = [];
  private readonly start: TableStart;
  constructor(
    file: string,
    private readonly wanted?: { has(inode: number): boolean },
  ) {
    this.start = new TableStart(file, 'sl', true);
  }

  push(b: Buffer, from: number, to: number): void {
    let pos = this.start.skip(b, from, to);
    const wanted = this.wanted;
    while (pos < to) {
      let end = b.indexOf(10, pos);
      if (end < 0 || end > to) end = to;
      const lineStart = pos;
      pos = end + 1;
      if (!fixedFields(b, lineStart, end) && scanFields(b, lineStart, end, 10) < 10) continue;
      const inode = decAt(b, FIELD_START[9]!, FIELD_END[9]!);
      if (inode < 0 || (wanted !== undefined && !wanted.has(inode))) continue;
      const ls = FIELD_START[1]!;
      const le = FIELD_END[1]!;
      const rs = FIELD_START[2]!;
      const re = FIELD_END[2]!;
      const qs = FIELD_START[4]!;
      const qe = FIELD_END[4]!;
      const lc = indexIn(b, 58 /* : */, ls, le);
      const rc = indexIn(b, 58, rs, re);
      const qc = indexIn(b, 58, qs, qe);
      if (lc < 0 || rc < 0 || qc < 0) continue;
      const state = hexAt(b, FIELD_START[3]!, FIELD_END[3]!);
      const localPort = hexAt(b, lc + 1, le);
      const remotePort = hexAt(b, rc + 1, re);
      const txQueue = hexAt(b, qs, qc);
      const rxQueue = hexAt(b, qc + 1, qe);
      if (state < 0 || localPort < 0 || remotePort < 0 || txQueue < 0 || rxQueue < 0) continue;
      this.rows.push({ inode, localHex: b.toString('latin1', ls, lc), localPort, remoteHex: b.toString('latin1', rs, rc), remotePort, state, txQueue, rxQueue });
    }
  }

  end(): InetSocket[] {
    this.start.end();
    return this.rows;
  }
}

/** parseInetTable on text: the same parser, over the text's latin1 bytes. */
export function parseInetTable(text: string, file: string, wanted?: { has(inode: number): boolean }): InetSocket[] {
  const b = Buffer.from(text, 'latin1');
  const p = new InetTableParser(file, wanted);
  p.push(b, 0, b.length);
  return p.end();
}

export type InetFamily = 'tcp' | 'tcp6' | 'udp' | 'udp6';

/** /proc/PID/net/{tcp,tcp6,udp,udp6} (the namespace of PID): one format, one reader. */
export function readInetTable(procRoot: string, pid: number, family: InetFamily, wanted?: { has(inode: number): boolean }): InetSocket[] {
  const p = new InetTableParser(`net/${family}`, wanted);
  readProcLines(`${procRoot}/${pid}/net/${family}`, (b, s, e) => p.push(b, s, e));
  return p.end();
}

const LITTLE = endianness() === 'LE';

/** The 4 bytes of one 32-bit word the kernel printed in host byte order. */
function wordBytes(hex: string, at: number): number[] {
  const b = [0, 2, 4, 6].map((i) => parseInt(hex.slice(at + i, at + i + 2), 16));
  return LITTLE ? b.reverse() : b;
}

/** IPv6 text form per RFC 5952: lowercase, longest zero run (2+ groups) as "::". */
export function formatIpv6(groups: number[]): string {
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

/**
 * An address's bytes in network order (4, or 16 for IPv6) → text.
 * IPv4-mapped IPv6 (::ffff:a.b.c.d) is shown as the IPv4 address: it is the
 * same peer whichever socket family saw it.
 */
export function formatAddress(bytes: ArrayLike<number>): string {
  const b = Array.from(bytes);
  if (b.length === 4) return b.join('.');
  const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (mapped) return b.slice(12).join('.');
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((b[i]! << 8) | b[i + 1]!);
  return formatIpv6(groups);
}

/** Kernel hex address (/proc/net/tcp's host-order words) → text; undefined for text that is not 8 or 32 hex digits. */
export function decodeAddress(hex: string): string | undefined {
  if (!/^[0-9A-Fa-f]+$/.test(hex) || (hex.length !== 8 && hex.length !== 32)) return undefined;
  const words = hex.length / 8;
  const bytes: number[] = [];
  for (let w = 0; w < words; w++) bytes.push(...wordBytes(hex, w * 8));
  return formatAddress(bytes);
}

/** True for 0.0.0.0 / :: in kernel hex (an unconnected socket's remote). */
export function isZeroAddress(hex: string): boolean {
  return /^0+$/.test(hex);
}
