import { readFileSync } from 'node:fs';
import type { MatchConfig } from '../config/targets.js';
import { failureKind } from '../procfs/errors.js';
import { isKernelThread, type PidStat } from '../procfs/pid/stat.js';
import type { KubeIdentity, ReadProblem } from './snapshot.js';
import type { KernelSource } from './sources/index.js';

/** A target as the collection needs it (plain data: it is posted to the worker). */
export interface TargetSpec {
  name: string;
  /** Undefined for a zero-config group (filled in by resolution). */
  match?: MatchConfig;
  processesMin: number;
  processesMax?: number;
}

export interface ResolvedTarget {
  spec: TargetSpec;
  auto: boolean;
  pids: number[];
  problems: ReadProblem[];
  /** Node mode: the container (or NO_KUBE for "other" and the host groups). */
  kube?: KubeIdentity;
}

const regexCache = new Map<string, RegExp>();
export function compiled(source: string): RegExp {
  let re = regexCache.get(source);
  if (!re) {
    re = new RegExp(source);
    regexCache.set(source, re);
  }
  return re;
}

/**
 * Reads each process's identity at most once per collection, however many
 * targets look at it. A process that vanished reads as undefined.
 */
export class ProcessTable {
  private all: number[] | undefined;
  private readonly stats = new Map<number, PidStat | undefined>();
  private readonly cmdlines = new Map<number, string | Error>();
  private readonly exes = new Map<number, string | Error>();
  private readonly cgroups = new Map<number, string | Error>();

  constructor(readonly source: KernelSource) {}

  pids(): number[] {
    this.all ??= this.source.pids();
    return this.all;
  }

  /** The process's stat if it is a live user-space process; undefined for gone, zombie and kernel threads. */
  stat(pid: number): PidStat | undefined {
    if (!this.stats.has(pid)) {
      let s: PidStat | undefined;
      try {
        s = this.source.stat(pid);
        if (isKernelThread(s) || s.state === 'Z' || s.state === 'X') s = undefined;
      } catch {
        s = undefined; // gone, or not a process directory we understand
      }
      this.stats.set(pid, s);
    }
    return this.stats.get(pid);
  }

  /** The command lines of `pids`, read once (each a string, or why it could not be read: it then matches no cmdline matcher). */
  async readCmdlines(pids: readonly number[]): Promise<void> {
    const unread = pids.filter((pid) => !this.cmdlines.has(pid));
    if (unread.length > 0) for (const [pid, c] of await this.source.cmdlines(unread)) this.cmdlines.set(pid, c);
  }

  /** The command line read by readCmdlines, if it was. */
  cmdline(pid: number): string | Error | undefined {
    return this.cmdlines.get(pid);
  }

  /** /proc/PID/cgroup text, read once per collection (node mode resolves by it, the memory stage takes it from here); throws the read's error. */
  cgroup(pid: number): string {
    let c = this.cgroups.get(pid);
    if (c === undefined) {
      try {
        c = this.source.cgroup(pid);
      } catch (err) {
        c = err as Error;
      }
      this.cgroups.set(pid, c);
    }
    if (c instanceof Error) throw c;
    return c;
  }

  /** The exe link, or the error (EACCES without ptrace access). */
  exe(pid: number): string | Error {
    let e = this.exes.get(pid);
    if (e === undefined) {
      try {
        e = this.source.exe(pid);
      } catch (err) {
        e = err as Error;
      }
      this.exes.set(pid, e);
    }
    return e;
  }
}

function readPidfile(path: string): number | Error {
  try {
    const text = readFileSync(path, 'utf8').trim();
    const pid = Number(text.split(/\s/)[0]);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : new Error(`does not hold a pid: ${JSON.stringify(text.slice(0, 40))}`);
  } catch (err) {
    return err as Error;
  }
}

/** All given matchers must match (AND); regexes are unanchored. */
async function resolveOne(spec: TargetSpec, table: ProcessTable): Promise<ResolvedTarget> {
  const match = spec.match ?? {};
  const problems: ReadProblem[] = [];
  let candidates: number[];
  const fixed: number[] = [];
  if (match.pid !== undefined) fixed.push(match.pid);
  if (match.pidfile !== undefined) {
    const p = readPidfile(match.pidfile);
    if (p instanceof Error) {
      problems.push({ collector: 'targets', kind: failureKind(p) === 'denied' ? 'denied' : 'error', path: match.pidfile, message: `pidfile ${match.pidfile}: ${p.message}` });
      return { spec, auto: false, pids: [], problems };
    }
    fixed.push(p);
  }
  if (fixed.length > 0) candidates = fixed.every((p) => p === fixed[0]) ? [fixed[0]!] : [];
  else candidates = table.pids();

  const comm = match.comm !== undefined ? compiled(match.comm) : undefined;
  const cmdline = match.cmdline !== undefined ? compiled(match.cmdline) : undefined;
  const exe = match.exe !== undefined ? compiled(match.exe) : undefined;
  candidates = candidates.filter((pid) => {
    const stat = table.stat(pid);
    return stat !== undefined && (!comm || comm.test(stat.comm));
  });
  // Command lines only of the processes the cheaper matchers left, all at once (their reads are bounded).
  if (cmdline) {
    await table.readCmdlines(candidates);
    candidates = candidates.filter((pid) => {
      const c = table.cmdline(pid);
      return typeof c === 'string' && cmdline.test(c);
    });
  }
  const pids: number[] = [];
  let exeDenied = 0;
  for (const pid of candidates) {
    if (exe) {
      const e = table.exe(pid);
      if (e instanceof Error) {
        if (failureKind(e) === 'denied') exeDenied++;
        continue;
      }
      if (!exe.test(e)) continue;
    }
    pids.push(pid);
  }
  if (exeDenied > 0) {
    problems.push({ collector: 'targets', kind: 'denied', path: 'PID/exe', message: `exe of ${exeDenied} process(es) not readable: cannot tell whether they match` });
  }
  return { spec, auto: false, pids, problems };
}

/** The zero-config group past the bound: every command name not among the biggest, summed. */
export const OTHER_GROUP = 'other';

/** pid and everything it started (and they started): sockeye and its helpers. */
function selfAndDescendants(table: ProcessTable, selfPid: number): Set<number> {
  const mine = new Set<number>([selfPid]);
  const children = new Map<number, number[]>();
  for (const pid of table.pids()) {
    const ppid = table.stat(pid)?.ppid;
    if (ppid === undefined) continue;
    let c = children.get(ppid);
    if (!c) children.set(ppid, (c = []));
    c.push(pid);
  }
  const todo = [selfPid];
  while (todo.length > 0) {
    for (const child of children.get(todo.pop()!) ?? []) {
      if (mine.has(child)) continue;
      mine.add(child);
      todo.push(child);
    }
  }
  return mine;
}

/**
 * Zero-config: every live user-space process (kernel threads never) but
 * sockeye and the processes it started, grouped by command name. The
 * `maxGroups` names with the most resident memory (ps --sort=-rss; read from
 * the stat already in hand, and steadier than fd counts, which jump with
 * every burst of connections) keep a target each; the rest are summed into
 * one target "other", so a host running hundreds of commands still exports a
 * bounded number of targets.
 */
function resolveAuto(table: ProcessTable, selfPid: number, maxGroups: number): ResolvedTarget[] {
  const skip = selfAndDescendants(table, selfPid);
  const groups = new Map<string, { pids: number[]; rss: number }>();
  for (const pid of table.pids()) {
    if (skip.has(pid)) continue;
    const stat = table.stat(pid);
    if (!stat) continue;
    let g = groups.get(stat.comm);
    if (!g) groups.set(stat.comm, (g = { pids: [], rss: 0 }));
    g.pids.push(pid);
    g.rss += stat.rssPages;
  }
  const target = (name: string, pids: number[]): ResolvedTarget => ({ spec: { name, processesMin: 0 }, auto: true, pids, problems: [] });
  // A command that is itself named "other" is summed there too: one target per name.
  const folded = groups.get(OTHER_GROUP)?.pids ?? [];
  groups.delete(OTHER_GROUP);
  const ranked = [...groups].sort(([a, x], [b, y]) => y.rss - x.rss || (a < b ? -1 : a > b ? 1 : 0));
  // Room for "other" within the bound when anything is folded into it.
  const room = ranked.length + (folded.length > 0 ? 1 : 0) > maxGroups ? maxGroups - 1 : ranked.length;
  for (const [, g] of ranked.slice(room)) folded.push(...g.pids);
  const shown = ranked.slice(0, room).map(([name, g]) => target(name, g.pids));
  shown.sort((a, b) => (a.spec.name < b.spec.name ? -1 : a.spec.name > b.spec.name ? 1 : 0));
  if (folded.length > 0) shown.push(target(OTHER_GROUP, folded.sort((a, b) => a - b)));
  return shown;
}

/**
 * Targets → live pids, read afresh. `specs` undefined means the zero-config
 * default, bounded to `maxGroups` targets (unbounded unless given).
 */
export async function resolveTargets(specs: TargetSpec[] | undefined, table: ProcessTable, selfPid: number, maxGroups = Infinity): Promise<ResolvedTarget[]> {
  if (specs === undefined) return resolveAuto(table, selfPid, maxGroups);
  const out: ResolvedTarget[] = [];
  for (const spec of specs) out.push(await resolveOne(spec, table));
  return out;
}
