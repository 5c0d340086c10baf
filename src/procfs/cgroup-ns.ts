import { readdirSync, readlinkSync, existsSync } from 'node:fs';
import { readProcText } from './read.js';
import { posix } from 'node:path';
import { parsePidCgroup } from './pid/cgroup.js';

// A container on cgroup v2 gets a cgroup namespace of its own: the kernel
// writes every process's /proc/PID/cgroup relative to the reader's namespace
// root, so a node agent in a pod sees the others' as "/../../<qos>/pod…/<id>".
// The names above its own pod are lost to it (a cgroupfs pod of another QoS
// class cannot be told), and the paths do not lead into the host's hierarchy
// mounted at cgroupRoot (no memory figures). Where the namespace root sits in
// that hierarchy is found once, by finding this process there; each path is
// then read as the host writes it.

/** Per hierarchy ("" for v2, else its controllers as /proc/PID/cgroup lists them): the host path of this process's namespace root. */
export type NamespaceRoots = ReadonlyMap<string, string>;

/** /proc/PID/cgroup text with each path as the host writes it, where the hierarchy's namespace root is known. */
export function toHostView(text: string, roots: NamespaceRoots): string {
  return text.replace(/^(\d+):([^:\n]*):(\/[^\n]*)$/gm, (line, id: string, controllers: string, path: string) => {
    const root = roots.get(controllers);
    if (root === undefined) return line;
    const host = posix.normalize(`${root}/${path}`);
    return `${id}:${controllers}:${host.length > 1 ? host.replace(/\/+$/, '') : '/'}`;
  });
}

/** Directories searched for this process at most: a node's tree is a few thousand. */
const MAX_DIRS = 50_000;

/** The path (under mount) of the cgroup whose cgroup.procs lists pid; breadth first, kubelet's trees first. */
function findProcess(mount: string, pid: string): string | undefined {
  const queue = [''];
  for (let seen = 0; queue.length > 0 && seen < MAX_DIRS; seen++) {
    const dir = queue.shift()!;
    let procs = '';
    try {
      procs = readProcText(`${mount}${dir}/cgroup.procs`, 'latin1');
    } catch {
      continue; // gone, or not a cgroup directory
    }
    if (procs.split('\n').includes(pid)) return dir === '' ? '/' : dir;
    let names: string[] = [];
    try {
      names = readdirSync(`${mount}${dir}`, { withFileTypes: true })
        .filter((e) => e.isDirectory())
        .map((e) => e.name);
    } catch {
      continue;
    }
    names.sort((a, b) => Number(b.startsWith('kube')) - Number(a.startsWith('kube')));
    for (const name of names) queue.push(`${dir}/${name}`);
  }
  return undefined;
}

/** The mount of one hierarchy under cgroupRoot (v2 the root itself or its unified/ child; v1 a controller's directory). */
function mountOf(cgroupRoot: string, controllers: string): string | undefined {
  if (controllers === '') return [cgroupRoot, `${cgroupRoot}/unified`].find((m) => existsSync(`${m}/cgroup.controllers`));
  const dir = `${cgroupRoot}/${controllers.replace(/^name=/, '')}`;
  return existsSync(`${dir}/cgroup.procs`) ? dir : undefined;
}

/**
 * Where this process's cgroup namespace root sits in the host's hierarchies
 * under cgroupRoot, or undefined when it shares the host's namespace (pid 1
 * of procRoot, the host's init with hostPID, is then at "/", not above it) or
 * cannot be found. Only the hierarchies the collection reads: v2 and v1's
 * memory and cpu ones.
 */
export function findNamespaceRoots(procRoot: string, cgroupRoot: string): NamespaceRoots | undefined {
  let init: string;
  let own: string;
  let pid: string;
  try {
    init = readProcText(`${procRoot}/1/cgroup`, 'utf8');
    own = readProcText(`${procRoot}/self/cgroup`, 'utf8');
    pid = readlinkSync(`${procRoot}/self`);
  } catch {
    return undefined;
  }
  if (!parsePidCgroup(init).some((e) => e.path.startsWith('/..'))) return undefined;
  const roots = new Map<string, string>();
  for (const entry of parsePidCgroup(own)) {
    const controllers = entry.controllers.join(',');
    if (!(controllers === '' || entry.controllers.includes('memory') || entry.controllers.includes('cpu'))) continue;
    const mount = mountOf(cgroupRoot, controllers);
    const at = mount === undefined ? undefined : findProcess(mount, pid);
    if (at === undefined) continue;
    // This process sits at `entry.path` below the namespace root: the root is that much above where it was found.
    const below = entry.path === '/' ? '' : entry.path;
    if (below !== '' && !at.endsWith(below)) continue;
    roots.set(controllers, at.slice(0, at.length - below.length) || '/');
  }
  return roots.size > 0 ? roots : undefined;
}
