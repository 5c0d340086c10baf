/**
 * Counts restarts by process identity (pid, start time): a process that went
 * away and was replaced by a new one, in the same collection or a later one
 * within `windowMs`. pid reuse with a new start time is a new identity, so
 * it counts too. New processes with no departure to pair with are scale-up.
 */
export class RestartTracker {
  private readonly seen = new Map<string, { ids: Set<string>; at: number }>();
  /** Departure times not yet paired with a replacement, oldest first. */
  private readonly pending = new Map<string, number[]>();

  constructor(private readonly windowMs = 10 * 60_000) {}

  /** Records the target's processes now; returns how many restarts that reveals. */
  observe(target: string, identities: Iterable<string>, now: number): number {
    const cur = new Set(identities);
    const prev = this.seen.get(target);
    this.seen.set(target, { ids: cur, at: now });
    if (!prev) return 0;
    const gone = (this.pending.get(target) ?? []).filter((t) => now - t <= this.windowMs);
    for (const id of prev.ids) if (!cur.has(id)) gone.push(now);
    let fresh = 0;
    for (const id of cur) if (!prev.ids.has(id)) fresh++;
    const replaced = Math.min(gone.length, fresh);
    gone.splice(0, replaced);
    this.pending.set(target, gone);
    return replaced;
  }

  /** Drops what is known of the target's processes: the next observation is a fresh start, not restarts. */
  forget(target: string): void {
    this.seen.delete(target);
    this.pending.delete(target);
  }

  /** Targets not observed for longer than the window (zero-config groups that are gone); forgets them. */
  expire(now: number): string[] {
    const out: string[] = [];
    for (const [target, { at }] of this.seen) {
      if (now - at > this.windowMs) {
        this.seen.delete(target);
        this.pending.delete(target);
        out.push(target);
      }
    }
    return out;
  }
}

export function identity(pid: number, starttime: number): string {
  return `${pid}@${starttime}`;
}
