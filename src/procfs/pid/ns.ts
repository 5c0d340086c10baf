import { readlinkSync } from 'node:fs';

/** "net:[4026531840]" → 4026531840: the namespace's inode, its identity. */
export function parseNsLink(link: string): number | undefined {
  const m = /^[a-z_]+:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
}

/** The network namespace of a process; processes sharing it share net/tcp. Needs ptrace access. */
export function readPidNetNs(procRoot: string, pid: number): number | undefined {
  return parseNsLink(readlinkSync(`${procRoot}/${pid}/ns/net`));
}

/** sockeye's own network namespace (the real /proc, whatever the configured root): what sock_diag answers about. */
export function readOwnNetNs(): number | undefined {
  try {
    return parseNsLink(readlinkSync('/proc/self/ns/net'));
  } catch {
    return undefined;
  }
}
