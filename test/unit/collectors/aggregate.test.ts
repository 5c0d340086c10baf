import { describe, expect, it } from 'vitest';
import { summarize, type ProcessValues } from '../../../src/collectors/aggregate.js';
import { decodeAddress } from '../../../src/procfs/net/inet.js';
import type { SocketInfo } from '../../../src/procfs/net/socket-info.js';
import { emptyFdCounts } from '../../../src/procfs/pid/fd.js';

function proc(pid: number, extra: Partial<ProcessValues>): ProcessValues {
  const stat = { pid, comm: 'app', state: 'S', ppid: 1, flags: 0, utimeTicks: 100, stimeTicks: 50, threads: 2, starttimeTicks: 1, rssPages: 0 };
  return { pid, stat, ...extra };
}

// Peers as the socket reads give them: the kernel's hex decoded (an IPv4-mapped IPv6 address as IPv4).
const est = (peerHex: string, protocol: SocketInfo['protocol'] = 'tcp'): SocketInfo => ({ protocol, state: 'established', peer: decodeAddress(peerHex), rx: 1, tx: 2 });

describe('summarize', () => {
  it('sums what is known, keeps the worst ratio and the lowest limit, and counts a shared socket once', () => {
    const shared = { protocol: 'tcp' as const, state: 'listen', listenPort: 80, rx: 4, tx: 0, backlog: 128 };
    const a = proc(1, {
      openFds: 50,
      openFilesLimit: { soft: 100, hard: 200 },
      fdTypes: { ...emptyFdCounts(), file: 3, socket: 3 },
      paths: new Map([['/a', 3]]),
      sockets: new Map<number, SocketInfo>([
        [10, shared],
        [11, est('0100007F')],
        // The same peer seen by an IPv6 socket as ::ffff:127.0.0.1.
        [12, est('0000000000000000FFFF00000100007F', 'tcp6')],
      ]),
      residentBytes: 1000,
      cgroup: '0::/app',
      memoryLimitBytes: 5000,
    });
    // Unreadable fds: only the stat() count is known.
    const b = proc(2, { openFds: 10, openFilesLimit: { soft: 20, hard: 20 }, residentBytes: 500, memoryLimitBytes: null });
    const c = proc(3, { openFds: 1, openFilesLimit: { soft: null, hard: null }, sockets: new Map([[10, shared]]) });
    const u = summarize([a, b, c], 10);
    expect(u.openFds).toBe(61);
    expect(u.maxFds).toBe(20);
    expect(u.fdUsageRatio).toBe(0.5);
    expect(u.fds).toEqual({ ...emptyFdCounts(), file: 3, socket: 3 });
    expect(u.sockets).toEqual([
      { protocol: 'tcp', state: 'established', count: 1 },
      { protocol: 'tcp', state: 'listen', count: 1 },
      { protocol: 'tcp6', state: 'established', count: 1 },
    ]);
    expect(u.peers).toEqual([{ peer: '127.0.0.1', count: 2, states: { established: 2 } }]);
    expect(u.listen).toEqual([{ port: 80, queue: 4, backlog: 128 }]);
    expect(u.queues).toEqual({ rx: 2, tx: 4 });
    expect(u.residentBytes).toBe(1500);
    expect(u.memoryLimitBytes).toBe(5000);
    expect([u.cpuUserSeconds, u.cpuSystemSeconds, u.threads]).toEqual([3, 1.5, 6]);
  });

  it('shows a memory limit only when every process is in that one cgroup', () => {
    const inApp = (pid: number, limit: number | null) => proc(pid, { residentBytes: 100, cgroup: '0::/app', memoryLimitBytes: limit });
    expect(summarize([inApp(1, 4096), inApp(2, 4096)], 10).memoryLimitBytes).toBe(4096);
    const elsewhere = proc(3, { residentBytes: 100, cgroup: '0::/other', memoryLimitBytes: 1024 });
    // Summed RSS of processes in two cgroups against either limit would mislead.
    expect(summarize([inApp(1, 4096), elsewhere], 10).memoryLimitBytes).toBeNull();
  });

  it('reports unknown (null), not zero, when nothing could be read', () => {
    const u = summarize([proc(1, {})], 10);
    expect([u.openFds, u.maxFds, u.fdUsageRatio, u.fds, u.residentBytes, u.memoryLimitBytes]).toEqual([null, null, null, null, null, null]);
  });

  it('marks a port backlog unknown when one of its sockets has none', () => {
    const s = (backlog?: number): SocketInfo => ({ protocol: 'tcp', state: 'listen', listenPort: 8080, rx: 1, tx: 0, ...(backlog === undefined ? {} : { backlog }) });
    const u = summarize([proc(1, { sockets: new Map([[1, s(16)], [2, s()]]) })], 10);
    expect(u.listen).toEqual([{ port: 8080, queue: 2, backlog: null }]);
  });
});
