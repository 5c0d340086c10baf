import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { InetTableParser, parseInetTable } from '../../../src/procfs/net/inet.js';
import { parseNetUnix, UnixTableParser } from '../../../src/procfs/net/unix.js';
import { readLinesThrough, readProcLines, readProcText } from '../../../src/procfs/read.js';

const dir = mkdtempSync(join(tmpdir(), 'sockeye-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(content: string | Buffer): string {
  const path = join(dir, `f${n++}`);
  writeFileSync(path, content);
  return path;
}

/** Every chunk handed over, as text, and the buffer's final size. */
function chunks(path: string, bytes: number): { parts: string[]; size: number } {
  const parts: string[] = [];
  const buf = readLinesThrough(path, Buffer.alloc(bytes), (b, s, e) => parts.push(b.toString('latin1', s, e)));
  return { parts, size: buf.length };
}

describe('readLinesThrough', () => {
  const lines = Array.from({ length: 50 }, (_, i) => `row ${i} ${'x'.repeat(i % 13)}\n`).join('');

  it('hands over the whole file in order, each chunk ending at a line end', () => {
    const { parts, size } = chunks(file(lines), 64);
    expect(parts.join('')).toBe(lines);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(p.endsWith('\n')).toBe(true);
    expect(size).toBe(64);
  });

  it('grows the buffer for a line longer than itself, and keeps it grown', () => {
    const long = `${'y'.repeat(300)}\n`;
    const { parts, size } = chunks(file(lines + long + lines), 64);
    expect(parts.join('')).toBe(lines + long + lines);
    expect(size).toBe(512);
  });

  it('hands over a last line without a newline (a truncated read)', () => {
    const { parts } = chunks(file('a b\nc d\ntrunc'), 5);
    expect(parts.join('')).toBe('a b\nc d\ntrunc');
    expect(parts.at(-1)!.endsWith('trunc')).toBe(true);
  });

  it('hands over nothing for an empty file', () => {
    expect(chunks(file(''), 16).parts).toEqual([]);
  });

  it('throws ENOENT for a missing file (a vanished process)', () => {
    expect(() => readProcLines(join(dir, 'missing'), () => undefined)).toThrow(expect.objectContaining({ code: 'ENOENT' }));
  });

  it('is not reentrant through the shared buffer', () => {
    const path = file('a\n');
    expect(() => readProcLines(path, () => readProcLines(path, () => undefined))).toThrow(/not reentrant/);
    // and is usable again afterwards
    const seen: string[] = [];
    readProcLines(path, (b, s, e) => seen.push(b.toString('latin1', s, e)));
    expect(seen).toEqual(['a\n']);
  });

  it('reads a real /proc file to the end, in whole lines', () => {
    const parts: string[] = [];
    readProcLines('/proc/self/net/unix', (b, s, e) => parts.push(b.toString('latin1', s, e)));
    const text = parts.join('');
    expect(text.startsWith('Num')).toBe(true);
    for (const p of parts) expect(p.endsWith('\n')).toBe(true);
  });
});

const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const tcpRow = (sl: number, local: string, remote: string, st: string, q: string, inode: number) =>
  `   ${sl}: ${local} ${remote} ${st} ${q} 00:00000000 00000000  1000        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;
const rows = Array.from({ length: 40 }, (_, i) => tcpRow(i, '0100007F:1F90', `0A0000${(i % 100).toString(16).padStart(2, '0').toUpperCase()}:D431`, i % 3 ? '01' : '08', '00000001:00000002', 7000 + i)).join('');
const UDP6 =
  '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n' +
  '  100: 00000000000000000000000001000000:14E9 00000000000000000000000000000000:0000 07 00000000:00000300 00:00000000 00000000     0        0 777 2 0000000000000000 0\n';

// The same inputs through the text parser and through the file reader at
// buffer sizes that cut rows anywhere (and force growth): same rows, same errors.
const INET: Array<[string, string]> = [
  ['a table of 40 rows', TCP_HEADER + rows],
  ['header only', TCP_HEADER],
  ['no trailing newline', TCP_HEADER + rows.slice(0, -1)],
  ['a row truncated mid-way', `${TCP_HEADER + rows}   3: 0100007F:1F90 0100007F:AAAA 01 000`],
  ['rows with bad hex, no colon, short rows', TCP_HEADER + tcpRow(1, '0100007F:ZZZZ', '00000000:0000', '0A', '00000000:00000000', 600) + tcpRow(2, '0100007F1F90', '00000000:0000', '0A', '00000000:00000000', 601) + '  3: 0100007F:1F90\n\n' + rows],
  ['blank lines before the header', `\n  \n${TCP_HEADER}${rows}`],
  ['udp6', UDP6],
  ['empty', ''],
  ['no header', rows],
  ['half a header', '  s'],
];

function viaFile(text: string, bytes: number, parser: { push(b: Buffer, s: number, e: number): void; end(): unknown }): unknown {
  readLinesThrough(file(text), Buffer.alloc(bytes), (b, s, e) => parser.push(b, s, e));
  return parser.end();
}

function outcome(f: () => unknown): unknown {
  try {
    return f();
  } catch (err) {
    return { threw: (err as Error).message };
  }
}

describe('inet tables from bytes and from text', () => {
  it.each(INET)('%s', (_name, text) => {
    const expected = outcome(() => parseInetTable(text, 'net/tcp'));
    for (const bytes of [8, 33, 100, 150, 4096]) {
      expect(outcome(() => viaFile(text, bytes, new InetTableParser('net/tcp')))).toEqual(expected);
    }
    const wanted = new Set([7003, 7017, 777, 600]);
    const filtered = outcome(() => parseInetTable(text, 'net/tcp', wanted));
    expect(outcome(() => viaFile(text, 64, new InetTableParser('net/tcp', wanted)))).toEqual(filtered);
  });
  it('the 40-row table has 40 rows and a split row parses whole', () => {
    const parsed = viaFile(TCP_HEADER + rows, 150, new InetTableParser('net/tcp')) as Array<{ inode: number; remotePort: number; rxQueue: number }>;
    expect(parsed.map((r) => r.inode)).toEqual(Array.from({ length: 40 }, (_, i) => 7000 + i));
    expect(parsed.every((r) => r.remotePort === 0xd431 && r.rxQueue === 2)).toBe(true);
  });
});

const UNIX_HEADER = 'Num       RefCount Protocol Flags    Type St Inode Path\n';
const UNIX_ROWS =
  '0000000000000000: 00000002 00000000 00010000 0001 01 3001 /run/app.sock\n' +
  '0000000000000000: 00000003 00000000 00000000 0001 03 3002 /run/app.sock  \n' +
  '0000000000000000: 00000003 00000000 00000000 0001 03 3003\n' +
  '0000000000000000: 00000002 00000000 00000000 0002 01 3004 @abstract  name\twith tab\n' +
  '0000000000000000: 00000002 00000000 00000000 0005 02 3005 /run/é.sock\n' +
  '0000000000000000: 00000002 00000000 0000000Z 0005 02 3006 /bad/flags\n' +
  '0000000000000000: 00000002 00000000 00000000 0005 02 30x7 /bad/inode\n';
const UNIX: Array<[string, string]> = [
  ['rows with paths, blanks, utf-8 and bad fields', UNIX_HEADER + UNIX_ROWS],
  ['a truncated row', `${UNIX_HEADER + UNIX_ROWS}0000000000000000: 00000002 00000000`],
  ['header only', UNIX_HEADER],
  ['no header', UNIX_ROWS],
  ['empty', ''],
];

describe('net/unix from bytes and from text', () => {
  it.each(UNIX)('%s', (_name, text) => {
    const expected = outcome(() => parseNetUnix(text));
    for (const bytes of [8, 40, 75, 4096]) expect(outcome(() => viaFile(text, bytes, new UnixTableParser()))).toEqual(expected);
  });
  it('reads paths as the kernel printed them, blanks folded to one space', () => {
    expect(parseNetUnix(UNIX_HEADER + UNIX_ROWS).map((r) => [r.inode, r.path])).toEqual([
      [3001, '/run/app.sock'],
      [3002, '/run/app.sock'],
      [3003, ''],
      [3004, '@abstract name with tab'],
      [3005, '/run/é.sock'],
    ]);
  });
});

describe('readProcText', () => {
  it('reads a file larger than its buffer whole, then a small one whole after it', () => {
    const big = Array.from({ length: 3000 }, (_, i) => `line ${i} \u00e9t\u00e9\n`).join('');
    expect(Buffer.byteLength(big)).toBeGreaterThan(32 * 1024);
    expect(readProcText(file(big), 'utf8')).toBe(big);
    expect(readProcText(file('0::/kubepods/pod1\n'), 'utf8')).toBe('0::/kubepods/pod1\n');
    expect(readProcText(file(''), 'latin1')).toBe('');
  });

  it('reads a real /proc file whose size reads as 0', () => {
    expect(readProcText('/proc/self/stat', 'latin1')).toMatch(new RegExp(`^${process.pid} \\(`));
  });

  it('keeps the error shape of the fs calls: code and path', () => {
    const missing = join(dir, 'missing');
    expect(() => readProcText(missing, 'latin1')).toThrow(expect.objectContaining({ code: 'ENOENT', path: missing }));
    // A read that fails (EISDIR comes from read(), not open()) names the path as well.
    expect(() => readProcText(dir, 'latin1')).toThrow(expect.objectContaining({ code: 'EISDIR', path: dir }));
  });
});
