import { readlinkSync } from 'node:fs';

/** The executable's path as the kernel shows it (" (deleted)" kept: it says the binary was replaced). Needs ptrace access. */
export function readPidExe(procRoot: string, pid: number): string {
  return readlinkSync(`${procRoot}/${pid}/exe`);
}
