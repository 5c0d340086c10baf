import { describe, expect, it } from 'vitest';
import { DIAG_TCP_FIELDS, parseDiagTcp } from '../../../src/procfs/net/diag.js';

// Two peers as the addon numbers them: 10.0.0.7 (IPv4, kept IPv4-mapped) and 2001:db8::5.
const peers = Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 7, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5]);

describe('parseDiagTcp', () => {
  it('turns records into sockets by inode: listener with backlog, peers formatted, the FIN taken off CLOSE_WAIT', () => {
    // inode, family, state, rqueue, wqueue, local port, peer
    const rows = [
      [101, 4, 10, 2, 128, 8080, -1],
      [102, 4, 1, 40, 7, 8080, 0],
      [103, 6, 8, 1, 0, 8080, 1],
      [104, 6, 2, 0, 1, 41000, 1],
      [105, 4, 7, 0, 0, 0, -1],
    ].flat();
    expect([...parseDiagTcp(rows, peers)]).toEqual([
      [101, { protocol: 'tcp', state: 'listen', rx: 2, tx: 0, listenPort: 8080, backlog: 128 }],
      [102, { protocol: 'tcp', state: 'established', rx: 40, tx: 7, peer: '10.0.0.7' }],
      [103, { protocol: 'tcp6', state: 'close_wait', rx: 0, tx: 0, peer: '2001:db8::5' }],
      [104, { protocol: 'tcp6', state: 'syn_sent', rx: 0, tx: 1, peer: '2001:db8::5' }],
      [105, { protocol: 'tcp', state: 'close', rx: 0, tx: 0 }],
    ]);
  });

  it('ignores a cut-off record and a peer index it was not given', () => {
    const rows = [201, 4, 1, 0, 0, 80, 9, 202, 4, 1];
    expect(DIAG_TCP_FIELDS).toBe(7);
    expect([...parseDiagTcp(rows, new Uint8Array(0))]).toEqual([[201, { protocol: 'tcp', state: 'established', rx: 0, tx: 0 }]]);
  });

  it('refills the previous map in place: what a fresh parse gives, sockets gone removed, the same map object', () => {
    const first = [
      [301, 4, 1, 0, 0, 80, 0],
      [302, 4, 8, 5, 0, 80, 0],
      [303, 6, 10, 0, 16, 443, -1],
    ].flat();
    const second = [
      [303, 6, 10, 1, 16, 443, -1],
      [304, 4, 1, 0, 0, 80, 1],
      [301, 4, 4, 0, 9, 80, 0],
    ].flat();
    const map = parseDiagTcp(first, peers);
    // A non-TCP entry the sockets collector added after the last dump (a unix socket) goes too.
    map.set(399, { protocol: 'unix', state: 'connected', rx: 0, tx: 0 });
    const again = parseDiagTcp(second, peers, map);
    expect(again).toBe(map);
    expect([...again].sort((a, b) => a[0] - b[0])).toEqual([...parseDiagTcp(second, peers)].sort((a, b) => a[0] - b[0]));
    expect([...again.keys()].sort()).toEqual([301, 303, 304]);
  });
});
