import { readFileSync } from 'node:fs';

/** The command name (at most 15 bytes, set by the kernel or prctl). */
export function parseComm(text: string): string {
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

export function readPidComm(procRoot: string, pid: number): string {
  return parseComm(readFileSync(`${procRoot}/${pid}/comm`, 'utf8'));
}
