import { statfsSync } from 'node:fs';

const PROC_SUPER_MAGIC = 0x9fa0;
const procfsRoots = new Map<string, boolean>();

/**
 * Whether procRoot is a mounted procfs, not a fixture tree on disk: only then
 * does st_size of fd/ count fds, and only then are its processes real ones
 * the kernel can be asked about in other ways (sock_diag). Asked once per root.
 */
export function isProcfs(procRoot: string): boolean {
  let yes = procfsRoots.get(procRoot);
  if (yes === undefined) {
    try {
      yes = statfsSync(procRoot).type === PROC_SUPER_MAGIC;
    } catch {
      yes = false;
    }
    procfsRoots.set(procRoot, yes);
  }
  return yes;
}
