import type { FastifyBaseLogger } from 'fastify';
import { explainDenied } from './own-capabilities.js';
import type { CollectionSnapshot, ReadProblem } from './snapshot.js';

/**
 * Logs each cause of unreadable data once (per target and collector), not on
 * every scrape; a cause that clears and comes back is logged again.
 */
export class ProblemLog {
  private readonly active = new Set<string>();

  constructor(private readonly log: FastifyBaseLogger) {}

  observe(snap: CollectionSnapshot): void {
    const now = new Set<string>();
    for (const problem of snap.problems ?? []) {
      const key = `\0${problem.collector}\0${problem.path}`;
      now.add(key);
      if (!this.active.has(key)) this.log.error({ collector: problem.collector, path: problem.path }, `collection: ${problem.message}`);
    }
    for (const t of snap.targets) {
      const seen: Array<{ problem: ReadProblem; pid?: number; uid?: number | null; count: number }> = [];
      const byKey = new Map<string, (typeof seen)[number]>();
      const add = (problem: ReadProblem, pid?: number, uid?: number | null) => {
        if (problem.kind === 'vanished') return;
        const key = `${t.name}\0${problem.collector}\0${problem.kind}`;
        const entry = byKey.get(key);
        if (entry) entry.count++;
        else byKey.set(key, { problem, pid, uid, count: 1 });
      };
      for (const p of t.problems) add(p);
      for (const proc of t.processes) for (const p of proc.problems) add(p, proc.pid, proc.uid);
      for (const [key, { problem, pid, uid, count }] of byKey) {
        now.add(key);
        if (this.active.has(key)) continue;
        const where = `target ${JSON.stringify(t.name)}`;
        const procs = pid !== undefined ? ` (pid ${pid}${count > 1 ? ` and ${count - 1} more` : ''})` : '';
        if (problem.kind === 'denied') {
          this.log.warn(
            { target: t.name, collector: problem.collector, path: problem.path },
            `${where}: permission denied reading /proc/${problem.path}${procs}; sockeye_target_readable is 0. ${explainDenied(snap.reader, uid ?? null)}`,
          );
        } else {
          this.log.error({ target: t.name, collector: problem.collector, path: problem.path }, `${where}: collector ${problem.collector} failed${procs}: ${problem.message}`);
        }
      }
    }
    this.active.clear();
    for (const k of now) this.active.add(k);
  }
}
