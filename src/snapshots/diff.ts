import { counts, delta, MEMORY_NOISE_BYTES, mib, signed } from '../deltas.js';
import type { Holdings, SocketGroup, TargetPicture } from './types.js';

// What changed in one target's picture against an earlier one, as the lines
// a person reads first in an incident: "+3,912 handles to
// /srv/public/index.html", "+180 CLOSE_WAIT to 10.0.0.7", "+1 process".
// Pure. The counting and number wording are the ones `inspect --watch` uses.

export type ChangeKind = 'fds' | 'fd_type' | 'path' | 'sockets' | 'processes' | 'process' | 'memory' | 'threads' | 'oom' | 'listen' | 'gone';

export interface ChangeLine {
  kind: ChangeKind;
  text: string;
}

/** A line with what orders it (not shown, not sent). */
interface Ranked extends ChangeLine {
  /**
   * How big the change is against what was there: |after - before| / max(before, floor).
   * A path that went from 0 to 3,912 outranks one that doubled from 10 to 20.
   */
  weight: number;
  /** |after - before| in the line's unit: of two equal relative changes, the larger comes first. */
  amount: number;
}

export interface PictureDiff {
  /** Most important first, at most the limit asked for. */
  lines: ChangeLine[];
  /** Lines past the limit, left out. */
  omitted: number;
}

/** Lines shown by default: enough to name a cause, few enough to read at 3 a.m. */
export const DEFAULT_CHANGE_LINES = 12;

const plural = (n: number, one: string, many: string) => (Math.abs(n) === 1 ? one : many);

function relative(d: number, before: number, floor = 1): number {
  return Math.abs(d) / Math.max(Math.abs(before), floor);
}

function sizeLine(kind: ChangeKind, label: string, before: number | null, after: number | null): Ranked[] {
  if (before === null || after === null) return [];
  const d = after - before;
  if (Math.abs(d) < MEMORY_NOISE_BYTES) return [];
  // Growth of memory is weighed against what there was, at least 64 MiB: small processes double without news.
  return [{ kind, text: `${label} ${mib(d)}`, weight: relative(d, before, 64 * MEMORY_NOISE_BYTES), amount: Math.abs(d) }];
}

/** Which sockets a group is, as a person names them: "CLOSE_WAIT to 10.0.0.7", "udp sockets", "unix CONNECTED sockets". */
function socketGroupName(g: Pick<SocketGroup, 'protocol' | 'state' | 'peer'>): string {
  const state = g.state.toUpperCase();
  if (g.peer !== null) return `${state} to ${g.peer}`;
  return `${g.protocol} ${state} sockets`;
}

const groupKey = (g: SocketGroup) => `${g.protocol}\0${g.state}\0${g.peer ?? ''}`;

function socketLines(before: SocketGroup[], after: SocketGroup[]): Ranked[] {
  // Listening sockets are told by their accept queues, below.
  const connected = (gs: SocketGroup[]) => gs.filter((g) => g.state !== 'listen');
  const names = new Map<string, SocketGroup>();
  for (const g of [...connected(before), ...connected(after)]) names.set(groupKey(g), g);
  const was = counts(connected(before), groupKey, (g) => g.count);
  const changed = delta(was, counts(connected(after), groupKey, (g) => g.count));
  return [...changed].map(([key, d]) => ({ kind: 'sockets', text: `${signed(d)} ${socketGroupName(names.get(key)!)}`, weight: relative(d, was.get(key) ?? 0), amount: Math.abs(d) }));
}

function listenLines(before: TargetPicture, after: TargetPicture): Ranked[] {
  const was = new Map(before.total.listen.map((l) => [l.port, l]));
  const out: Ranked[] = [];
  for (const l of after.total.listen) {
    const prev = was.get(l.port);
    const d = l.queue - (prev?.queue ?? 0);
    if (d <= 0) continue;
    // A queue that fills is news in proportion to its limit, not to how empty it was.
    const weight = l.backlog ? d / Math.max(1, l.backlog) * 10 : relative(d, prev?.queue ?? 0);
    out.push({ kind: 'listen', text: `listen queue on :${l.port} ${l.queue.toLocaleString('en-US')}/${l.backlog === null ? '?' : l.backlog.toLocaleString('en-US')}`, weight, amount: d });
  }
  return out;
}

function processLines(before: TargetPicture, after: TargetPicture): Ranked[] {
  const out: Ranked[] = [];
  const d = after.processes.length - before.processes.length;
  if (d !== 0) out.push({ kind: 'processes', text: `${signed(d)} ${plural(d, 'process', 'processes')}`, weight: relative(d, before.processes.length), amount: Math.abs(d) });
  // A pid alone is not a process: a restart may reuse it. The start time tells them apart.
  const id = (p: TargetPicture['processes'][number]) => `${p.pid}@${p.startTimeSeconds ?? '?'}`;
  const wasIds = new Set(before.processes.map(id));
  const nowIds = new Set(after.processes.map(id));
  const gone = before.processes.filter((p) => !nowIds.has(id(p)));
  const came = after.processes.filter((p) => !wasIds.has(id(p)));
  // A few names help ("pid 812 gone"); a hundred workers recycled are one line.
  const NAMED = 3;
  const name = (ps: typeof gone, verb: string) => {
    if (ps.length === 0) return;
    const pids = ps.slice(0, NAMED).map((p) => p.pid).join(', ') + (ps.length > NAMED ? ` and ${ps.length - NAMED} more` : '');
    out.push({ kind: 'process', text: `${plural(ps.length, 'pid', 'pids')} ${pids} ${verb}`, weight: relative(ps.length, before.processes.length), amount: ps.length });
  };
  name(gone, 'gone');
  name(came, 'new');
  return out;
}

/** A directory where at least this many paths changed a little is one line, not one per path. */
const FOLD_AT = 5;

/**
 * "+3,912 handles to /srv/public/index.html". Where many paths of one
 * directory changed a little (a cache or upload directory: a handle or two
 * each), they are one line, "+300 handles to 300 paths under /tmp/uploads/",
 * and the paths that changed far more than the rest keep their own. "A
 * little" is at most a tenth of the largest change in that directory, or 1.
 */
function pathLines(before: Holdings['paths'], after: Holdings['paths']): Ranked[] {
  const was = counts(before, (p) => p.path, (p) => p.count);
  const byDir = new Map<string, Array<[string, number]>>();
  for (const [path, d] of delta(was, counts(after, (p) => p.path, (p) => p.count))) {
    const dir = path.startsWith('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
    let list = byDir.get(dir);
    if (!list) byDir.set(dir, (list = []));
    list.push([path, d]);
  }
  const out: Ranked[] = [];
  const one = (path: string, d: number) => out.push({ kind: 'path', text: `${signed(d)} ${plural(d, 'handle', 'handles')} to ${path}`, weight: relative(d, was.get(path) ?? 0), amount: Math.abs(d) });
  for (const [dir, changes] of byDir) {
    const largest = Math.max(...changes.map(([, d]) => Math.abs(d)));
    const small = changes.filter(([, d]) => Math.abs(d) <= Math.max(1, largest / 10));
    if (dir === '' || small.length < FOLD_AT) {
      for (const [path, d] of changes) one(path, d);
      continue;
    }
    for (const [path, d] of changes) if (!small.some(([p]) => p === path)) one(path, d);
    // Growth and shrinkage folded apart: they are different news.
    for (const side of [small.filter(([, d]) => d > 0), small.filter(([, d]) => d < 0)]) {
      if (side.length === 0) continue;
      const sum = side.reduce((acc, [, d]) => acc + d, 0);
      const wasSum = side.reduce((acc, [path]) => acc + (was.get(path) ?? 0), 0);
      // Weighed as if each path had held one handle: hundreds of new one-handle paths are not a thousandfold change.
      out.push({ kind: 'path', text: `${signed(sum)} ${plural(sum, 'handle', 'handles')} to ${side.length.toLocaleString('en-US')} paths under ${dir}`, weight: relative(sum, wasSum, side.length), amount: Math.abs(sum) });
    }
  }
  return out;
}

function fdTypeLines(before: TargetPicture, after: TargetPicture): Ranked[] {
  if (!before.total.fds || !after.total.fds) return [];
  const out: Ranked[] = [];
  // Files and sockets are told path by path and peer by peer; the other kinds (pipes, eventfds, ...) only by count.
  for (const [type, n] of Object.entries(after.total.fds)) {
    if (type === 'file' || type === 'socket') continue;
    const was = before.total.fds[type as keyof typeof before.total.fds] ?? 0;
    const d = n - was;
    if (d !== 0) out.push({ kind: 'fd_type', text: `${signed(d)} ${type} fds`, weight: relative(d, was), amount: Math.abs(d) });
  }
  return out;
}

/** Every change of `after` against `before` (same target, earlier), most important first, at most `limit`. */
export function diffPictures(before: TargetPicture, after: TargetPicture, limit = DEFAULT_CHANGE_LINES): PictureDiff {
  let lines: Ranked[];
  if (after.processes.length === 0 && before.processes.length > 0) {
    // Everything it held went with it: one line, not a minus for each path.
    lines = [{ kind: 'gone', text: `target gone: ${before.processes.length} ${plural(before.processes.length, 'process', 'processes')} before, none now`, weight: Infinity, amount: before.processes.length }, ...processLines(before, after).filter((l) => l.kind === 'process')];
  } else {
    const b = before.total;
    const a = after.total;
    lines = [...processLines(before, after)];
    if (a.openFds !== null && b.openFds !== null && a.openFds !== b.openFds) {
      const d = a.openFds - b.openFds;
      // The total says how close the limit is; the path and socket lines say where the fds went, which is what a
      // person needs first: the total is weighed at half, so it follows the lines that explain it.
      lines.push({ kind: 'fds', text: `${signed(d)} open fds (${a.openFds.toLocaleString('en-US')} of ${a.maxFds === null ? '?' : a.maxFds.toLocaleString('en-US')})`, weight: relative(d, b.openFds) / 2, amount: Math.abs(d) });
    }
    lines.push(...pathLines(b.paths, a.paths));
    lines.push(...socketLines(b.sockets, a.sockets), ...listenLines(before, after), ...fdTypeLines(before, after));
    // RSS is what the processes keep (a leak, as MemoryLeak reads it); the working set is the cgroup's, which other
    // processes in it and page cache move too, and what the OOM killer weighs against the limit: both, each when it moved.
    lines.push(...sizeLine('memory', 'RSS', b.residentBytes, a.residentBytes), ...sizeLine('memory', 'working set', b.workingSetBytes, a.workingSetBytes));
    if (a.threads !== b.threads) lines.push({ kind: 'threads', text: `${signed(a.threads - b.threads)} threads`, weight: relative(a.threads - b.threads, b.threads), amount: Math.abs(a.threads - b.threads) });
    if (a.oomKills !== null && b.oomKills !== null && a.oomKills > b.oomKills) {
      // An OOM kill is always news.
      lines.push({ kind: 'oom', text: `${signed(a.oomKills - b.oomKills)} OOM ${plural(a.oomKills - b.oomKills, 'kill', 'kills')}`, weight: Infinity, amount: a.oomKills - b.oomKills });
    }
  }
  lines.sort((x, y) => y.weight - x.weight || y.amount - x.amount || x.text.localeCompare(y.text));
  return { lines: lines.slice(0, limit).map(({ kind, text }) => ({ kind, text })), omitted: Math.max(0, lines.length - limit) };
}
