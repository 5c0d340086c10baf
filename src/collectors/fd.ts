import { failureKind } from '../procfs/errors.js';
import type { FdSummary } from '../procfs/pid/fd.js';
import type { Fail, Proc } from './pipeline.js';
import type { KernelSource } from './sources/index.js';

export interface FdInfo {
  /** From stat() of fd/ where the kernel gives it, else the walk's count; undefined when neither could be read. */
  openFds?: number;
  /** The walk of fd/ (undefined when denied): the sockets stage joins its socket inodes. */
  summary?: FdSummary;
}

export async function readFds(source: KernelSource, procs: readonly Proc[], fail: Fail): Promise<Map<number, FdInfo>> {
  // The count first: stat() needs no ptrace access, so it survives a denied walk.
  const counts = new Map<number, number | undefined>();
  for (const { pid } of procs) {
    try {
      counts.set(pid, source.fdCount(pid));
    } catch (err) {
      if (failureKind(err) === 'denied') counts.set(pid, undefined);
      else fail(pid, err);
    }
  }
  const walks = await source.fdSummaries([...counts.keys()]);
  const out = new Map<number, FdInfo>();
  for (const [pid, counted] of counts) {
    const walk = walks.get(pid)!;
    if (walk instanceof Error) {
      fail(pid, walk);
      out.set(pid, { openFds: counted });
    } else {
      out.set(pid, { openFds: counted ?? walk.count, summary: walk });
    }
  }
  return out;
}
