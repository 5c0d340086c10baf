import { Counter, Gauge, type Registry } from 'prom-client';
import type { FileSnapshotStore } from './store.js';

/** Every value of the `reason` label of sockeye_snapshots_taken_total (a bounded set: never a target or path). */
export const SNAPSHOT_REASONS = ['fd_usage', 'fd_growth', 'close_wait', 'close_wait_stuck', 'memory_usage', 'memory_growth', 'vanished', 'restarted', 'manual', 'alert', 'baseline'] as const;

/** sockeye's own snapshot metrics (docs/metrics.md). */
export class SnapshotMetrics {
  readonly taken: Counter<'reason'>;
  readonly failures: Counter;

  constructor(registry: Registry, store: () => FileSnapshotStore) {
    const registers = [registry];
    this.taken = new Counter({ name: 'sockeye_snapshots_taken_total', help: 'Snapshots stored, by why: a trigger name, vanished, restarted, manual, alert, or baseline (the automatic healthy baseline).', labelNames: ['reason'], registers });
    for (const r of SNAPSHOT_REASONS) this.taken.inc({ reason: r }, 0);
    this.failures = new Counter({ name: 'sockeye_snapshots_write_failures_total', help: 'Incident snapshots that could not be stored (disk full, unwritable stateDir, larger than snapshots.maxBytes).', registers });
    new Gauge({
      name: 'sockeye_snapshots_stored',
      help: 'Incident snapshots kept under stateDir now.',
      registers,
      collect() {
        this.set(store().list().length);
      },
    });
    new Gauge({
      name: 'sockeye_snapshots_stored_bytes',
      help: 'Bytes of the incident snapshot files kept under stateDir now (bounded by snapshots.maxBytes).',
      registers,
      collect() {
        this.set(store().bytes());
      },
    });
  }
}
