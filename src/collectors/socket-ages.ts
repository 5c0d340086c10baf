/** How long a target's TCP sockets have been in one state. */
export interface SocketStateAge {
  /** Lowercased TCP state (close_wait, established, ...); never listen. */
  state: string;
  /** Age of the oldest socket in this state: a lower bound (a socket first seen counts from then). */
  oldestSeconds: number;
  /** Sockets in this state for at least the tracker's threshold. */
  longLived: number;
}

/** What the tracker needs of a socket: SocketInfo has it. */
export interface SocketState {
  protocol: string;
  state: string;
}

/** One tracked socket: its state and since when it has been in it. Changed in place. */
interface Entry {
  state: string;
  since: number;
  /** The collection that last saw it. */
  seen: number;
}

interface Row {
  oldest: number;
  longLived: number;
}

/**
 * Remembers, per target, when each TCP socket (by inode) entered the state
 * it is in, across collections: "stuck in CLOSE_WAIT for 40 minutes" tells a
 * leak from load. O(sockets) per collection; an object is made only for a
 * socket seen for the first time, and sockets (and targets) not seen in a
 * collection are forgotten at its end. Listening sockets are left out: a
 * listener is long-lived by nature.
 */
export class SocketAgeTracker {
  private readonly targets = new Map<string, Map<number, Entry>>();
  private collection = 0;
  private readonly observed = new Set<string>();

  constructor(readonly longLivedAfterMs: number) {}

  /** Starts a collection: targets not observed until the next begin() are forgotten then. */
  begin(): void {
    for (const target of this.targets.keys()) if (!this.observed.has(target)) this.targets.delete(target);
    this.observed.clear();
    this.collection = (this.collection + 1) | 0;
  }

  /**
   * The target's sockets now (one map per process; a socket shared by several
   * processes counts once), at `now` (ms); returns the ages per state, by state name.
   */
  observe(target: string, perProcess: ReadonlyArray<ReadonlyMap<number, SocketState>>, now: number): SocketStateAge[] {
    this.observed.add(target);
    let entries = this.targets.get(target);
    if (!entries) this.targets.set(target, (entries = new Map()));
    const seen = this.collection;
    const rows = new Map<string, Row>();
    const threshold = this.longLivedAfterMs;
    let visited = 0;
    const visit = (s: SocketState, inode: number): void => {
      if ((s.protocol !== 'tcp' && s.protocol !== 'tcp6') || s.state === 'listen') return;
      let e = entries.get(inode);
      if (e === undefined) entries.set(inode, (e = { state: s.state, since: now, seen }));
      else if (e.seen === seen) return;
      else {
        e.seen = seen;
        if (e.state !== s.state) {
          e.state = s.state;
          e.since = now;
        }
      }
      visited++;
      // Never negative: a collection given up on (stuck in the kernel) may finish after a newer one.
      const age = Math.max(0, now - e.since);
      const row = rows.get(e.state);
      if (row === undefined) rows.set(e.state, { oldest: age, longLived: age >= threshold ? 1 : 0 });
      else {
        if (age > row.oldest) row.oldest = age;
        if (age >= threshold) row.longLived++;
      }
    };
    for (const sockets of perProcess) sockets.forEach(visit);
    // Sockets closed since the last collection (their inode may come back as a new socket); none when every one was visited.
    if (visited < entries.size) for (const [inode, e] of entries) if (e.seen !== seen) entries.delete(inode);
    return [...rows]
      .map(([state, r]) => ({ state, oldestSeconds: r.oldest / 1000, longLived: r.longLived }))
      .sort((a, b) => (a.state < b.state ? -1 : a.state > b.state ? 1 : 0));
  }

  /** When each of the target's TCP sockets (by inode) entered its state, as of its last observe(). */
  sinceOf(target: string): (inode: number) => number | undefined {
    const entries = this.targets.get(target);
    return (inode) => entries?.get(inode)?.since;
  }

  /** Sockets remembered, over all targets (for tests and the cost bench). */
  size(): number {
    let n = 0;
    for (const entries of this.targets.values()) n += entries.size;
    return n;
  }
}
