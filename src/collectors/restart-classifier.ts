/** What the classifier needs of one process of a target. */
export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks after boot: with the pid, the identity (pid reuse is a new process). */
  starttime: number;
  ppid: number;
  /** What it runs: command name and command line. */
  command: string;
  /** Start time, ms since the epoch, where known. */
  startedAt: number | null;
}

export interface RestartRule {
  /** A process that went away younger than this is never a restart (a short-lived command, a connection's child). */
  minLifetimeMs: number;
  /** The replacement must appear within this long after the process was found gone. */
  replacedWithinMs: number;
}

/** What one collection reveals for a target. */
export interface Turnover {
  /** Processes new since the last collection. */
  starts: number;
  /** Processes gone since the last collection. */
  exits: number;
  /** Processes replaced: see RestartClassifier. */
  restarts: number;
}

interface Known {
  id: string;
  pid: number;
  ppid: number;
  command: string;
  /** ms since the epoch: its start time, or when first seen where that is unknown. */
  startedAt: number;
  lastSeen: number;
}

/** A process that went away having lived long enough, waiting for its replacement. */
interface Departure {
  id: string;
  pid: number;
  ppid: number;
  command: string;
  goneAt: number;
}

interface TargetState {
  known: Map<string, Known>;
  pending: Departure[];
  /** Recent pairings, old pid → new pid: a child of a replaced parent is paired through them. */
  replaced: Map<number, { pid: number; at: number }>;
  at: number;
}

const NO_TURNOVER: Turnover = Object.freeze({ starts: 0, exits: 0, restarts: 0 });

/**
 * Tells restarts from ordinary process turnover, by identity (pid, start
 * time) across collections. A process counts as restarted when it had lived
 * at least minLifetime and, within replacedWithin after it was found gone, a
 * new process with the same parent and the same command appeared: a worker
 * respawned by its master, an app restarted by its supervisor. A process
 * whose parent was replaced in the same pairing (the whole app restarted:
 * master and workers) is paired through its parent and counts with it, not
 * on its own. Connection-scoped children that end (a PostgreSQL backend, a
 * prefork child per request) and short-lived commands are exits, not
 * restarts: too young, or not replaced.
 */
export class RestartClassifier {
  private readonly targets = new Map<string, TargetState>();

  constructor(private readonly rule: RestartRule) {}

  /** Records the target's processes at `now` (ms); the first look at a target reveals nothing. */
  observe(target: string, processes: readonly ProcessIdentity[], now: number): Turnover {
    const state = this.targets.get(target);
    const current = new Map<string, Known>();
    for (const p of processes) {
      const id = `${p.pid}@${p.starttime}`;
      const before = state?.known.get(id);
      current.set(id, { id, pid: p.pid, ppid: p.ppid, command: p.command, startedAt: before?.startedAt ?? p.startedAt ?? now, lastSeen: now });
    }
    if (!state) {
      this.targets.set(target, { known: current, pending: [], replaced: new Map(), at: now });
      return NO_TURNOVER;
    }
    const { minLifetimeMs, replacedWithinMs } = this.rule;
    let exits = 0;
    for (const [id, k] of state.known) {
      if (current.has(id)) continue;
      exits++;
      if (k.lastSeen - k.startedAt >= minLifetimeMs) state.pending.push({ id, pid: k.pid, ppid: k.ppid, command: k.command, goneAt: now });
    }
    state.pending = state.pending.filter((d) => now - d.goneAt <= replacedWithinMs);
    for (const [pid, r] of state.replaced) if (now - r.at > replacedWithinMs) state.replaced.delete(pid);

    // New processes oldest first: a parent is paired before its children.
    const fresh = [...current].filter(([id]) => !state.known.has(id)).map(([, k]) => k).sort((a, b) => a.startedAt - b.startedAt);
    let restarts = 0;
    for (const n of fresh) {
      if (state.pending.length === 0) break;
      // The same process back (a collection could not match it, e.g. its command line unreadable in time): never gone.
      const back = state.pending.findIndex((d) => d.id === n.id);
      if (back >= 0) {
        state.pending.splice(back, 1);
        continue;
      }
      const i = state.pending.findIndex((d) => d.command === n.command && (d.ppid === n.ppid || state.replaced.get(d.ppid)?.pid === n.ppid));
      if (i < 0) continue;
      const d = state.pending[i]!;
      state.pending.splice(i, 1);
      state.replaced.set(d.pid, { pid: n.pid, at: now });
      if (d.ppid === n.ppid) restarts++;
    }
    state.known = current;
    state.at = now;
    return { starts: fresh.length, exits, restarts };
  }

  /** Drops what is known of the target's processes: the next look at it is a first look (a reload changed its match). */
  forget(target: string): void {
    this.targets.delete(target);
  }

  /** Targets not observed for longer than replacedWithin (zero-config groups that are gone); forgets them. */
  expire(now: number): string[] {
    const out: string[] = [];
    for (const [target, { at }] of this.targets) {
      if (now - at > this.rule.replacedWithinMs) {
        this.targets.delete(target);
        out.push(target);
      }
    }
    return out;
  }
}
