import { readFileSync } from 'node:fs';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAddress, formatAddress, formatIpv6, isZeroAddress } from '../../../src/procfs/net/inet.js';
import { parseInetTable } from '../../../src/procfs/net/inet.js';
import { tcpStateName } from '../../../src/procfs/net/tcp.js';

const parseNetTcp = (text: string, wanted?: Set<number>) => parseInetTable(text, 'net/tcp', wanted);
const parseNetUdp = (text: string) => parseInetTable(text, 'net/udp');
import { parseNetUnix } from '../../../src/procfs/net/unix.js';
import { ProcParseError } from '../../../src/procfs/errors.js';

const TCP_HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const tcpRow = (sl: number, local: string, remote: string, st: string, q: string, inode: number) =>
  `   ${sl}: ${local} ${remote} ${st} ${q} 00:00000000 00000000  1000        0 ${inode} 1 0000000000000000 100 0 0 10 0\n`;

const TCP = TCP_HEADER + tcpRow(0, '0100007F:1F90', '00000000:0000', '0A', '00000080:00000003', 501) + tcpRow(1, '0100007F:1F90', '0A000002:D431', '08', '00000000:00000010', 502) + tcpRow(2, '0100007F:9C40', '0100007F:1F90', '01', '00000020:00000000', 503);

describe('parseNetTcp', () => {
  it('reads every row with ports, state and queues', () => {
    expect(parseNetTcp(TCP)).toEqual([
      { inode: 501, localHex: '0100007F', localPort: 8080, remoteHex: '00000000', remotePort: 0, state: 10, txQueue: 128, rxQueue: 3 },
      { inode: 502, localHex: '0100007F', localPort: 8080, remoteHex: '0A000002', remotePort: 54321, state: 8, txQueue: 0, rxQueue: 16 },
      { inode: 503, localHex: '0100007F', localPort: 40000, remoteHex: '0100007F', remotePort: 8080, state: 1, txQueue: 32, rxQueue: 0 },
    ]);
  });
  it('keeps only wanted inodes', () => {
    expect(parseNetTcp(TCP, new Set([502])).map((s) => s.inode)).toEqual([502]);
  });
  it('skips a row truncated mid-way and rows with bad hex', () => {
    const cut = TCP + '   3: 0100007F:1F90 0100007F:AAAA 01 000';
    const bad = TCP + tcpRow(4, '0100007F:ZZZZ', '00000000:0000', '0A', '00000000:00000000', 600);
    expect(parseNetTcp(cut)).toHaveLength(3);
    expect(parseNetTcp(bad)).toHaveLength(3);
  });
  it('reads an empty table (header only)', () => {
    expect(parseNetTcp(TCP_HEADER)).toEqual([]);
  });
  it('reads a row whose columns are not where the kernel puts them (scanned field by field)', () => {
    const loose = TCP_HEADER + '  7:  0100007F:1F90   0A000002:D431 08   00000000:00000010 00:00000000 00000000 1000 0 777 1\n';
    expect(parseNetTcp(loose)).toEqual([{ inode: 777, localHex: '0100007F', localPort: 8080, remoteHex: '0A000002', remotePort: 54321, state: 8, txQueue: 0, rxQueue: 16 }]);
  });
});

// The parser finds columns by the kernel's fixed widths; an independent
// reading of the same text (split on blanks) must agree row for row.
describe('parseNetTcp on this machine\'s tables', () => {
  const servers: net.Server[] = [];
  const clients: net.Socket[] = [];
  beforeAll(async () => {
    for (const host of ['127.0.0.1', '::1']) {
      const server = net.createServer((s) => clients.push(s));
      await new Promise<void>((resolve) => server.listen(0, host, resolve));
      servers.push(server);
      const port = (server.address() as net.AddressInfo).port;
      for (let i = 0; i < 3; i++) {
        const c = net.connect(port, host);
        await new Promise((resolve) => c.once('connect', resolve));
        clients.push(c);
      }
    }
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  });
  it.each(['tcp', 'tcp6'])('net/%s', (family) => {
    const text = readFileSync(`/proc/self/net/${family}`, 'latin1');
    const expected = text
      .split('\n')
      .slice(1)
      .filter((line) => line.trim() !== '')
      .map((line) => {
        const f = line.trim().split(/ +/);
        const [localHex, localPort] = f[1]!.split(':');
        const [remoteHex, remotePort] = f[2]!.split(':');
        const [tx, rx] = f[4]!.split(':');
        return { inode: Number(f[9]), localHex, localPort: parseInt(localPort!, 16), remoteHex, remotePort: parseInt(remotePort!, 16), state: parseInt(f[3]!, 16), txQueue: parseInt(tx!, 16), rxQueue: parseInt(rx!, 16) };
      });
    expect(expected.length).toBeGreaterThanOrEqual(4); // our listener and its three connections at least
    expect(parseNetTcp(text)).toEqual(expected);
  });
  it.each([['empty', ''], ['no header', TCP.slice(TCP_HEADER.length)]])('rejects %s', (_n, text) => {
    expect(() => parseNetTcp(text)).toThrow(ProcParseError);
  });
  it.each([
    [1, 'established'],
    [8, 'close_wait'],
    [10, 'listen'],
    [99, 'unknown'],
  ])('state %i is %s', (n, name) => {
    expect(tcpStateName(n)).toBe(name);
  });
});

describe('parseNetUdp', () => {
  it('reads tcp-shaped rows (udp6 here)', () => {
    const udp6 =
      '  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n' +
      '  100: 00000000000000000000000001000000:14E9 00000000000000000000000000000000:0000 07 00000000:00000300 00:00000000 00000000     0        0 777 2 0000000000000000 0\n';
    expect(parseNetUdp(udp6)).toEqual([{ inode: 777, localHex: '00000000000000000000000001000000', localPort: 5353, remoteHex: '00000000000000000000000000000000', remotePort: 0, state: 7, txQueue: 0, rxQueue: 768 }]);
  });
});

describe('decodeAddress', () => {
  it.each([
    ['0100007F', '127.0.0.1'],
    ['0A000002', '2.0.0.10'],
    ['00000000', '0.0.0.0'],
    ['00000000000000000000000001000000', '::1'],
    ['00000000000000000000000000000000', '::'],
    ['0000000000000000FFFF00000100007F', '127.0.0.1'],
    ['B80D0120000000000000000001000000', '2001:db8::1'],
    ['B80D0120000000000100000001000000', '2001:db8::1:0:1'],
    ['000080FE000000000000000001000000', 'fe80::1'],
    ['0100007', undefined],
    ['XYZ0007F', undefined],
  ])('%s → %s', (hex, text) => {
    expect(decodeAddress(hex)).toBe(text);
  });
  it.each([
    [[1, 0, 0, 1, 0, 0, 0, 1], '1:0:0:1::1'],
    [[1, 0, 0, 0, 1, 0, 0, 1], '1::1:0:0:1'],
    [[1, 2, 3, 4, 5, 6, 7, 8], '1:2:3:4:5:6:7:8'],
    [[1, 0, 2, 3, 4, 5, 6, 7], '1:0:2:3:4:5:6:7'],
    [[0, 0, 0, 0, 0, 0, 0, 0], '::'],
  ])('formatIpv6(%j) is %s', (groups, text) => {
    expect(formatIpv6(groups)).toBe(text);
  });
  it.each([
    [[127, 0, 0, 1], '127.0.0.1'],
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 1, 2, 3], '10.1.2.3'],
    [[0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], '2001:db8::1'],
    [[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1], '::1'],
  ])('formatAddress(%j) (network byte order) is %s', (bytes, text) => {
    expect(formatAddress(Uint8Array.from(bytes))).toBe(text);
  });
  it('knows a zero address', () => {
    expect(isZeroAddress('00000000')).toBe(true);
    expect(isZeroAddress('0100007F')).toBe(false);
  });
});

const UNIX = `Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000002 00000000 00010000 0001 01 3001 /run/app.sock
0000000000000000: 00000003 00000000 00000000 0001 03 3002 /run/app.sock
0000000000000000: 00000003 00000000 00000000 0001 03 3003
0000000000000000: 00000002 00000000 00000000 0002 01 3004 @abstract name
0000000000000000: 00000002 00000000 00000000 0005 02 3005
`;

describe('parseNetUnix', () => {
  it('reads type, state (listen from the accept flag) and path', () => {
    expect(parseNetUnix(UNIX)).toEqual([
      { inode: 3001, type: 1, state: 'listen', path: '/run/app.sock' },
      { inode: 3002, type: 1, state: 'connected', path: '/run/app.sock' },
      { inode: 3003, type: 1, state: 'connected', path: '' },
      { inode: 3004, type: 2, state: 'unconnected', path: '@abstract name' },
      { inode: 3005, type: 5, state: 'connecting', path: '' },
    ]);
  });
  it('filters by inode and skips truncated rows', () => {
    expect(parseNetUnix(UNIX, new Set([3003, 3005])).map((s) => s.inode)).toEqual([3003, 3005]);
    expect(parseNetUnix(`${UNIX}0000000000000000: 00000002 00000000`)).toHaveLength(5);
  });
  it('rejects text without the header', () => {
    expect(() => parseNetUnix(UNIX.split('\n').slice(1).join('\n'))).toThrow(ProcParseError);
  });
});
