import { explainDenied, type CollectionSnapshot, type TargetSnapshot } from '../collectors/index.js';
import type { ReaderIdentity } from '../collectors/snapshot.js';
import { judgeTarget, type TargetFacts } from '../status/assemble.js';
import type { Severity } from '../status/schema.js';
import { targetFacts } from '../status/sources.js';

// What `sockeye inspect` shows (and prints with --json): the status page's
// target summary, judged the same way, plus each process on its own line.
// Built from the one collection snapshot that /metrics uses too.

export interface InspectProcess {
  pid: number;
  comm: string;
  cmdline: string;
  uid: number | null;
  openFds: number | null;
  maxFds: number | null;
  fdUsageRatio: number | null;
  residentMemoryBytes: number | null;
  threads: number;
  startedAt: string | null;
  readable: boolean;
}

export interface InspectTarget extends TargetFacts {
  severity: Severity;
  /** Why severity is not ok, one line each. */
  reasons: string[];
  /** A zero-config group (processes by command name). */
  auto: boolean;
  processList: InspectProcess[];
  /** What could not be read, and what would fix it. */
  problems: string[];
}

export interface InspectReport {
  generatedAt: string;
  procRoot: string;
  targets: InspectTarget[];
}

function problemsOf(t: TargetSnapshot, reader: ReaderIdentity): string[] {
  const out = new Set<string>();
  for (const p of t.problems) out.add(`${p.path}: ${p.message}`);
  for (const proc of t.processes) {
    for (const p of proc.problems) {
      if (p.kind === 'vanished') continue;
      out.add(p.kind === 'denied' ? `cannot read /proc/${p.path}: ${explainDenied(reader, proc.uid)}` : `${p.path}: ${p.message}`);
    }
  }
  return [...out];
}

/** One target as inspect shows it; reader: who read it, for what a denial needs. */
export function inspectTarget(t: TargetSnapshot, reader: ReaderIdentity): InspectTarget {
  const facts = targetFacts(t);
  const { severity, reasons } = judgeTarget(facts);
  return {
    ...facts,
    severity,
    reasons: reasons.map((r) => r.text),
    auto: t.auto,
    processList: t.processes.map((p) => ({
      pid: p.pid,
      comm: p.comm,
      cmdline: p.cmdline,
      uid: p.uid,
      openFds: p.openFds,
      maxFds: p.maxFds,
      fdUsageRatio: p.fdUsageRatio,
      residentMemoryBytes: p.residentBytes,
      threads: p.threads,
      startedAt: p.startTimeSeconds === null ? null : new Date(p.startTimeSeconds * 1000).toISOString(),
      readable: p.readable,
    })),
    problems: problemsOf(t, reader),
  };
}

export function inspectReport(snap: CollectionSnapshot, only?: (t: TargetSnapshot) => boolean): InspectReport {
  return {
    generatedAt: new Date(snap.time).toISOString(),
    procRoot: snap.procRoot,
    targets: snap.targets.filter(only ?? (() => true)).map((t) => inspectTarget(t, snap.reader)),
  };
}
