// The whole pipeline (resolution → collectors → snapshot → metrics) over the
// fixture tree test/fixtures/proc. Every expected number below is what the
// fixture's make.sh encodes (see its comments), worked out by hand.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

import { createTargetCollection, collectOptions, pidTarget } from '../../src/collectors/index.js';
import { captureLogger, collectText, FIXTURE_CGROUP_ROOT, FIXTURE_PROC_ROOT, fixtureConfig, sampleMap } from '../support/collection.js';

const procRoot = FIXTURE_PROC_ROOT;
const cgroupRoot = FIXTURE_CGROUP_ROOT;
const config = fixtureConfig();

describe('fixture proc tree', () => {
  it('resolves targets: comm and cmdline matchers, zombie and kernel thread excluded, missing pid empty', async () => {
    const snap = await collectText(collectOptions(config));
    expect(snap.targets.map((t) => [t.name, t.processes.map((p) => p.pid)])).toEqual([
      ['web', [4101, 4102]],
      ['worker', [4200]],
      ['gone', []],
    ]);
    expect(snap.collectors.map((c) => [c.name, c.success])).toEqual([
      ['targets', true],
      ['process', true],
      ['limits', true],
      ['fd', true],
      ['sockets', true],
      ['listen_backlog', true],
      ['memory', true],
    ]);
    // Both web processes share one namespace: its tables are read once.
    expect(snap.netnsRead).toBe(1);
  });

  it('the zero-config default groups every user process by comm', async () => {
    const snap = await collectText({ ...collectOptions(config), targets: undefined, selfPid: 4102 });
    expect(snap.targets.map((t) => [t.name, t.auto, t.processesMin, t.processes.map((p) => p.pid)])).toEqual([
      ['python3', true, 0, [4200]],
      ['web', true, 0, [4101]],
    ]);
  });

  it('gives the exact per-process numbers of pid 4101', async () => {
    const snap = await collectText({ procRoot, cgroupRoot, topN: 10, longLivedAfterMs: 300_000, targets: pidTarget(4101) });
    const p = snap.targets[0]!.processes[0]!;
    expect(p).toMatchObject({
      pid: 4101,
      comm: 'web',
      cmdline: 'node server.js --port 8080',
      uid: 1000,
      starttime: 200000,
      startTimeSeconds: 1700000000 + 2000,
      readable: true,
      openFds: 30,
      maxFds: 1024,
      maxFdsHard: 4096,
      residentBytes: 102400 * 1024,
      memoryLimitBytes: 536870912,
      cpuUserSeconds: 15,
      cpuSystemSeconds: 3,
      threads: 11,
      problems: [],
    });
    expect(p.fds).toEqual({ file: 7, socket: 13, pipe: 2, anon_inode: 1, eventfd: 1, eventpoll: 1, timerfd: 1, signalfd: 1, inotify: 1, device: 1, other: 1 });
    expect(p.paths).toEqual([
      { path: '/srv/www/index.html', count: 5 },
      { path: '/dev/null', count: 1 },
      { path: '/srv/www/style.css', count: 1 },
      { path: '/var/log/app.log (deleted)', count: 1 },
    ]);
  });

  it('aggregates the web target: shared sockets once, peers top N + other, queues, listen per port', async () => {
    const web = (await collectText(collectOptions(config))).targets[0]!;
    const u = web.total;
    expect(u.openFds).toBe(34);
    expect(u.maxFds).toBe(1024);
    expect(u.fdUsageRatio).toBe(30 / 1024);
    expect(u.fds).toEqual({ file: 8, socket: 15, pipe: 2, anon_inode: 1, eventfd: 1, eventpoll: 1, timerfd: 1, signalfd: 1, inotify: 1, device: 2, other: 1 });
    expect(u.paths).toEqual([
      { path: '/srv/www/index.html', count: 6 },
      { path: '/dev/null', count: 2 },
      { path: 'other', count: 2 },
    ]);
    expect(u.sockets).toEqual([
      { protocol: 'tcp', state: 'close_wait', count: 3 },
      { protocol: 'tcp', state: 'established', count: 2 },
      { protocol: 'tcp', state: 'listen', count: 1 },
      { protocol: 'tcp', state: 'syn_sent', count: 1 },
      { protocol: 'tcp6', state: 'established', count: 2 },
      { protocol: 'tcp6', state: 'listen', count: 1 },
      { protocol: 'udp', state: 'close', count: 1 },
      { protocol: 'unix', state: 'connected', count: 1 },
      { protocol: 'unix', state: 'listen', count: 1 },
      { protocol: 'other', state: 'unknown', count: 1 },
    ]);
    expect(u.peers).toEqual([
      { peer: '10.0.0.5', count: 5, states: { established: 3, close_wait: 2 } },
      { peer: '10.0.0.6', count: 1, states: { close_wait: 1 } },
      { peer: 'other', count: 2, states: { syn_sent: 1, established: 1 } },
    ]);
    // CLOSE_WAIT rx_queue counts the FIN: 0x20 and 0x1 are 31 and 0 bytes.
    expect(u.queues).toEqual({ rx: 31 + 0 + 512, tx: 256 + 1 });
    // The backlog comes from ss, for sockeye's own network namespace only: not the fixture's.
    expect(u.listen).toEqual([{ port: 8080, queue: 3, backlog: null }]);
    expect(u.residentBytes).toBe((102400 + 51200) * 1024);
    expect(u.memoryLimitBytes).toBe(536870912);
    expect([u.cpuUserSeconds, u.cpuSystemSeconds, u.threads]).toEqual([20, 4, 15]);
  });

  it('reads a cgroup v1 memory limit and skips the network tables for a process without sockets', async () => {
    const worker = (await collectText(collectOptions(config))).targets[1]!;
    expect(worker.total).toMatchObject({ openFds: 3, maxFds: 1024, memoryLimitBytes: 268435456, sockets: [], peers: [], listen: [], paths: [{ path: '/dev/null', count: 3 }] });
    const alone = await collectText({ ...collectOptions(config), targets: [{ name: 'worker', match: { pid: 4200 }, processesMin: 1 }] });
    expect(alone.targets[0]!.processes.map((p) => p.pid)).toEqual([4200]);
    expect(alone.netnsRead).toBe(0);
  });

  it('sets the metrics from the collection', async () => {
    const registry = new Registry();
    const collection = createTargetCollection(config, registry, captureLogger());
    await collection.collect();
    expect(await sampleMap(registry, 'sockeye_target_processes')).toEqual({ 'target=web': 2, 'target=worker': 1, 'target=gone': 0 });
    expect(await sampleMap(registry, 'sockeye_target_processes_min')).toEqual({ 'target=web': 2, 'target=worker': 1, 'target=gone': 1 });
    expect(await sampleMap(registry, 'sockeye_process_open_fds')).toEqual({ 'target=web': 34, 'target=worker': 3 });
    expect(await sampleMap(registry, 'sockeye_process_sockets', { target: 'web', protocol: 'tcp' })).toEqual({ 'state=close_wait': 3, 'state=established': 2, 'state=listen': 1, 'state=syn_sent': 1 });
    expect(await sampleMap(registry, 'sockeye_process_sockets_by_peer', { target: 'web' })).toEqual({ 'peer=10.0.0.5': 5, 'peer=10.0.0.6': 1, 'peer=other': 2 });
    expect(await sampleMap(registry, 'sockeye_process_listen_queue_length')).toEqual({ 'target=web,port=8080': 3 });
    expect(await sampleMap(registry, 'sockeye_process_listen_queue_max')).toEqual({});
    expect(await sampleMap(registry, 'sockeye_process_socket_queue_bytes')).toEqual({ 'target=web,queue=rx': 543, 'target=web,queue=tx': 257 });
    expect(await sampleMap(registry, 'sockeye_process_memory_limit_bytes')).toEqual({ 'target=web': 536870912, 'target=worker': 268435456 });
    // web's two processes share /app: counted once (300 MiB used - 100 MiB inactive file); worker's inactive file exceeds its usage: 0.
    expect(await sampleMap(registry, 'sockeye_process_working_set_bytes')).toEqual({ 'target=web': 200 * 2 ** 20, 'target=worker': 0 });
    expect(await sampleMap(registry, 'sockeye_process_oom_kills_total')).toEqual({ 'target=web': 2, 'target=worker': 1 });
    expect(await sampleMap(registry, 'sockeye_process_cpu_seconds_total', { target: 'web' })).toEqual({ 'mode=user': 20, 'mode=system': 4 });
    expect(await sampleMap(registry, 'sockeye_target_readable')).toEqual({ 'target=web': 1, 'target=worker': 1, 'target=gone': 1 });
    expect(await sampleMap(registry, 'sockeye_process_restarts_total')).toEqual({ 'target=web': 0, 'target=worker': 0, 'target=gone': 0 });
    expect(Object.keys(await sampleMap(registry, 'sockeye_scrape_collector_success'))).toEqual(['collector=targets', 'collector=process', 'collector=limits', 'collector=fd', 'collector=sockets', 'collector=listen_backlog', 'collector=memory']);
    await collection.close();
  });

  it('a procRoot that cannot be listed fails the targets collector and is logged once, without throwing', async () => {
    const registry = new Registry();
    const log = captureLogger();
    const collection = createTargetCollection({ ...config, procRoot: `${procRoot}/does-not-exist`, targets: undefined }, registry, log);
    const snap = await collection.collect();
    await collection.collect();
    expect(snap.targets).toEqual([]);
    expect(snap.problems).toEqual([expect.objectContaining({ collector: 'targets', kind: 'error', message: expect.stringContaining('ENOENT') })]);
    expect(await sampleMap(registry, 'sockeye_scrape_collector_success')).toMatchObject({ 'collector=targets': 0, 'collector=fd': 1 });
    expect(log.lines.map((l) => [l.level, l.msg])).toEqual([['error', expect.stringContaining('collection: cannot list processes: ENOENT')]]);
    await collection.close();
  });
});
