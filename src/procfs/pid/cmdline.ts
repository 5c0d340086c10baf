import { readFile } from 'node:fs/promises';

/** NUL-separated argv as one line with spaces, as `ps` shows it. Empty for kernel threads. */
export function parseCmdline(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 0) end--;
  return text.slice(0, end).replaceAll('\0', ' ');
}

/** Read on libuv's pool: the read takes the process's memory-map lock, and can block while the process holds it. */
export async function readPidCmdline(procRoot: string, pid: number): Promise<string> {
  return parseCmdline(await readFile(`${procRoot}/${pid}/cmdline`, 'utf8'));
}
