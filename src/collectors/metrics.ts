import { Counter, Gauge, type Registry } from 'prom-client';
import { FD_TYPES, type CollectionSnapshot } from './snapshot.js';
import { RestartClassifier, type RestartRule } from './restart-classifier.js';
import type { TargetSpec } from './resolve.js';
import type { TargetSnapshot } from './snapshot.js';

/** The labels every node-mode target series carries besides target ("" where unknown), so sidecar and node series filter alike. */
export const NODE_LABELS = ['namespace', 'pod', 'container'] as const;

type TargetLabels = Record<string, string>;

// The target metrics (docs/metrics.md), set from one snapshot.
// Gauges are reset each time so label sets that vanished (a closed peer, a
// process gone) disappear; restarts, starts and exits persist.
export class TargetMetrics {
  private readonly classifier: RestartClassifier;
  private readonly configured = new Set<string>();
  private readonly g;
  private readonly cpu: Counter;
  private readonly restarts: Counter;
  private readonly starts: Counter;
  private readonly exits: Counter;
  private readonly oomKills: Counter;

  private readonly node: boolean;
  private readonly info: Gauge | undefined;
  /** Each target's label set as last exported: what removing its counters must name. */
  private readonly ids = new Map<string, TargetLabels>();

  /** `node`: node mode, where every target series also carries namespace, pod and container. */
  constructor(registry: Registry, rule: RestartRule, node = false) {
    this.classifier = new RestartClassifier(rule);
    this.node = node;
    const withNode = (labelNames: readonly string[]): string[] => (node && labelNames.includes('target') ? [...labelNames, ...NODE_LABELS] : [...labelNames]);
    const gauge = (name: string, help: string, labelNames: readonly string[]) => new Gauge({ name, help, labelNames: withNode(labelNames), registers: [registry] });
    // Node mode: what the recording rules join kube-state-metrics on (container_id, pod_uid).
    this.info = node
      ? new Gauge({ name: 'sockeye_target_info', help: "A node-mode target's container: pod UID, container id and QoS class as kube-state-metrics writes them, with namespace, pod and container where the pod list gives them.", labelNames: ['target', 'pod_uid', 'container_id', 'qos_class', ...NODE_LABELS], registers: [registry] })
      : undefined;
    this.g = {
      processes: gauge('sockeye_target_processes', 'Number of processes matching the target now.', ['target']),
      processesMin: gauge('sockeye_target_processes_min', 'Configured minimum number of processes for the target.', ['target']),
      readable: gauge('sockeye_target_readable', "Whether every process of the target could be read completely (1) or access to some /proc file was denied (0).", ['target']),
      openFds: gauge('sockeye_process_open_fds', "Open file descriptors, summed over the target's processes.", ['target']),
      maxFds: gauge('sockeye_process_max_fds', 'Soft limit on open file descriptors (RLIMIT_NOFILE), the lowest among the processes.', ['target']),
      fdRatio: gauge('sockeye_process_fd_usage_ratio', 'Open file descriptors over their limit, for the process closest to its limit.', ['target']),
      fds: gauge('sockeye_process_fds', 'Open file descriptors by type.', ['target', 'type']),
      fdsByPath: gauge('sockeye_process_fds_by_path', 'Open file descriptors by path, the top N paths plus an "other" row.', ['target', 'path']),
      sockets: gauge('sockeye_process_sockets', 'Sockets by protocol and state; a socket shared by several processes counts once.', ['target', 'protocol', 'state']),
      peers: gauge('sockeye_process_sockets_by_peer', 'TCP sockets by remote address, the top N addresses plus an "other" row.', ['target', 'peer']),
      queues: gauge('sockeye_process_socket_queue_bytes', 'Bytes waiting in the receive (rx) and send (tx) queues of non-listening TCP and UDP sockets.', ['target', 'queue']),
      listenQueue: gauge('sockeye_process_listen_queue_length', 'Connections waiting to be accepted on a listening TCP port.', ['target', 'port']),
      listenMax: gauge('sockeye_process_listen_queue_max', 'Accept queue limit (listen backlog) of a listening TCP port.', ['target', 'port']),
      rss: gauge('sockeye_process_resident_memory_bytes', "Resident memory, summed over the target's processes.", ['target']),
      workingSet: gauge('sockeye_process_working_set_bytes', "Working set of the memory cgroups of the target's processes, as cAdvisor counts it: usage minus inactive file cache; absent in the root cgroup.", ['target']),
      memLimit: gauge('sockeye_process_memory_limit_bytes', 'Memory limit of the cgroup the processes run in, where one is set.', ['target']),
      socketAge: gauge('sockeye_process_socket_oldest_age_seconds', 'How long the oldest TCP socket in a state has been in it, tracked by inode across collections (a lower bound: a socket first seen counts from then); listening sockets are left out.', ['target', 'state']),
      longLived: gauge('sockeye_process_long_lived_sockets', 'TCP sockets in their current state for at least sockeye_process_long_lived_socket_threshold_seconds, by state; listening sockets are left out.', ['target', 'state']),
      longLivedThreshold: gauge('sockeye_process_long_lived_socket_threshold_seconds', 'How long a TCP socket must stay in its state to count as long-lived (leaks.longLivedAfter).', []),
      threads: gauge('sockeye_process_threads', "Threads, summed over the target's processes.", ['target']),
      collectorDuration: gauge('sockeye_scrape_collector_duration_seconds', 'How long a collector took in the last collection.', ['collector']),
      collectorSuccess: gauge('sockeye_scrape_collector_success', 'Whether a collector succeeded in the last collection (1) or hit an error (0).', ['collector']),
    };
    this.cpu = new Counter({ name: 'sockeye_process_cpu_seconds_total', help: "CPU time consumed by the target's current processes, by mode.", labelNames: withNode(['target', 'mode']), registers: [registry] });
    this.oomKills = new Counter({ name: 'sockeye_process_oom_kills_total', help: "OOM kills the kernel counted in the memory cgroups of the target's processes (cgroup v2 memory.events, v1 memory.oom_control oom_kill).", labelNames: withNode(['target']), registers: [registry] });
    this.restarts = new Counter({ name: 'sockeye_process_restarts_total', help: 'Processes of the target replaced after living at least restarts.minLifetime: a new process with the same parent and command appeared soon after (a child of a replaced parent counts with it).', labelNames: withNode(['target']), registers: [registry] });
    this.starts = new Counter({ name: 'sockeye_process_starts_total', help: 'Processes of the target seen for the first time, after sockeye first saw the target.', labelNames: withNode(['target']), registers: [registry] });
    this.exits = new Counter({ name: 'sockeye_process_exits_total', help: 'Processes of the target that went away, for whatever reason.', labelNames: withNode(['target']), registers: [registry] });
  }

  /**
   * After a reload: a configured target no longer configured loses its
   * restart, start and exit counts; one whose processes are matched
   * differently keeps its counts, and the processes it matches now are not
   * taken for restarts, starts or exits.
   */
  reconfigure(before: readonly TargetSpec[] | undefined, after: readonly TargetSpec[] | undefined): void {
    const next = new Map(after?.map((t) => [t.name, t]));
    for (const t of before ?? []) {
      const now = next.get(t.name);
      if (now && JSON.stringify(now.match) === JSON.stringify(t.match)) continue;
      this.classifier.forget(t.name);
      if (now) continue;
      this.configured.delete(t.name);
      for (const c of [this.restarts, this.starts, this.exits]) c.remove(this.ids.get(t.name) ?? { target: t.name });
      this.ids.delete(t.name);
    }
  }

  /** target, and in node mode namespace, pod and container ("" = absent: the target is no container, or the pod list is off). */
  private labels(t: TargetSnapshot): TargetLabels {
    if (!this.node) return { target: t.name };
    const k = t.kube;
    return { target: t.name, namespace: k?.namespace ?? '', pod: k?.pod ?? '', container: k?.container ?? '' };
  }

  /** Only the per-collector series (a collection that did not finish leaves the rest as it was). */
  applyCollectors(snap: CollectionSnapshot): void {
    this.g.collectorDuration.reset();
    this.g.collectorSuccess.reset();
    for (const s of snap.collectors) {
      this.g.collectorDuration.set({ collector: s.name }, s.durationSeconds);
      this.g.collectorSuccess.set({ collector: s.name }, s.success ? 1 : 0);
    }
  }

  /** Sets every series from one collection. */
  apply(snap: CollectionSnapshot): void {
    const g = this.g;
    for (const gauge of Object.values(g)) gauge.reset();
    this.cpu.reset();
    this.oomKills.reset();
    this.applyCollectors(snap);
    g.longLivedThreshold.set(snap.longLivedAfterSeconds);
    this.info?.reset();
    for (const t of snap.targets) {
      const target = this.labels(t);
      this.ids.set(t.name, target);
      const u = t.total;
      if (this.info && t.kube && t.kube.podUid !== '') {
        const k = t.kube;
        this.info.set({ target: t.name, pod_uid: k.podUid, container_id: k.containerId, qos_class: k.qosClass, namespace: k.namespace, pod: k.pod, container: k.container }, 1);
      }
      g.processes.set(target, t.processes.length);
      g.processesMin.set(target, t.processesMin);
      g.readable.set(target, t.readable ? 1 : 0);
      if (!t.auto) this.configured.add(t.name);
      const turnover = this.classifier.observe(
        t.name,
        t.processes.map((p) => ({ pid: p.pid, starttime: p.starttime, ppid: p.ppid, command: `${p.comm}\0${p.cmdline}`, startedAt: p.startTimeSeconds === null ? null : p.startTimeSeconds * 1000 })),
        snap.time,
      );
      this.restarts.inc(target, turnover.restarts);
      this.starts.inc(target, turnover.starts);
      this.exits.inc(target, turnover.exits);
      if (t.processes.length === 0) continue;
      if (u.openFds !== null) g.openFds.set(target, u.openFds);
      if (u.maxFds !== null) g.maxFds.set(target, u.maxFds);
      if (u.fdUsageRatio !== null) g.fdRatio.set(target, u.fdUsageRatio);
      // Only the types held: eleven series per target, most of them zero, were noise.
      if (u.fds) for (const type of FD_TYPES) if (u.fds[type] > 0) g.fds.set({ ...target, type }, u.fds[type]);
      for (const p of u.paths) g.fdsByPath.set({ ...target, path: p.path }, p.count);
      for (const s of u.sockets) g.sockets.set({ ...target, protocol: s.protocol, state: s.state }, s.count);
      for (const p of u.peers) g.peers.set({ ...target, peer: p.peer }, p.count);
      if (u.fds && u.fds.socket > 0) {
        g.queues.set({ ...target, queue: 'rx' }, u.queues.rx);
        g.queues.set({ ...target, queue: 'tx' }, u.queues.tx);
      }
      for (const l of u.listen) {
        g.listenQueue.set({ ...target, port: String(l.port) }, l.queue);
        if (l.backlog !== null) g.listenMax.set({ ...target, port: String(l.port) }, l.backlog);
      }
      if (u.residentBytes !== null) g.rss.set(target, u.residentBytes);
      if (u.memoryLimitBytes !== null) g.memLimit.set(target, u.memoryLimitBytes);
      if (u.workingSetBytes !== null) g.workingSet.set(target, u.workingSetBytes);
      // Mirrors the kernel's counter, as for CPU: a new cgroup starts again from 0 (a counter reset to Prometheus).
      if (u.oomKills !== null) this.oomKills.inc(target, u.oomKills);
      for (const a of t.socketAges) {
        g.socketAge.set({ ...target, state: a.state }, a.oldestSeconds);
        g.longLived.set({ ...target, state: a.state }, a.longLived);
      }
      g.threads.set(target, u.threads);
      this.cpu.inc({ ...target, mode: 'user' }, u.cpuUserSeconds);
      this.cpu.inc({ ...target, mode: 'system' }, u.cpuSystemSeconds);
    }
    // Zero-config groups come and go with short-lived commands: forget their restart series after a while.
    for (const name of this.classifier.expire(snap.time)) {
      if (this.configured.has(name)) continue;
      const id = this.ids.get(name) ?? { target: name };
      this.restarts.remove(id);
      this.starts.remove(id);
      this.exits.remove(id);
      this.ids.delete(name);
    }
  }
}
