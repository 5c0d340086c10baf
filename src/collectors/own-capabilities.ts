import { readFileSync } from 'node:fs';
import type { ReaderIdentity } from './snapshot.js';

const CAP_DAC_READ_SEARCH = 2n;
const CAP_SYS_PTRACE = 19n;

/** CapEff of /proc/self/status (the real one: this is about sockeye, not the targets). */
export function parseCapEff(statusText: string): bigint {
  const m = /^CapEff:\s*([0-9a-fA-F]+)$/m.exec(statusText);
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

/** Who sockeye itself is (its uid and capabilities), so a denial can say what is missing. */
export function readOwnCapabilities(): ReaderIdentity {
  let caps = 0n;
  try {
    caps = parseCapEff(readFileSync('/proc/self/status', 'latin1'));
  } catch {
    // not Linux, or no /proc: no capabilities known
  }
  return {
    uid: process.getuid?.() ?? -1,
    capSysPtrace: ((caps >> CAP_SYS_PTRACE) & 1n) === 1n,
    capDacReadSearch: ((caps >> CAP_DAC_READ_SEARCH) & 1n) === 1n,
  };
}

/** What a denied process needs, in one sentence, for the log and `inspect`. */
export function explainDenied(reader: ReaderIdentity, processUid: number | null): string {
  const missing = [!reader.capSysPtrace && 'CAP_SYS_PTRACE', !reader.capDacReadSearch && 'CAP_DAC_READ_SEARCH'].filter(Boolean);
  const who = `sockeye runs as uid ${reader.uid}${processUid !== null ? `, the process as uid ${processUid}` : ''}`;
  if (missing.length === 0 || reader.uid === processUid) {
    // Nothing sockeye could add: the kernel's ptrace check said no anyway.
    return `sockeye has the same uid or CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH, so a ptrace restriction forbids it: Yama ptrace_scope, AppArmor/SELinux, or a process in another user namespace (${who})`;
  }
  return `reading another user's /proc/PID/fd needs the same uid, or CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH (${who}; missing ${missing.join(' and ')})`;
}
