import { describe, expect, it } from 'vitest';
import { ProblemLog } from '../../../src/collectors/problem-log.js';
import { explainDenied, parseCapEff } from '../../../src/collectors/own-capabilities.js';
import type { CollectionSnapshot, ProcessSnapshot } from '../../../src/collectors/snapshot.js';
import { captureLogger } from '../../support/collection.js';

const reader = { uid: 65534, capSysPtrace: false, capDacReadSearch: false };

function snap(denied: number[]): CollectionSnapshot {
  const proc = (pid: number): ProcessSnapshot =>
    ({
      pid,
      uid: 1000,
      readable: !denied.includes(pid),
      problems: denied.includes(pid) ? [{ collector: 'fd', kind: 'denied', path: `${pid}/fd`, message: 'EACCES' }] : [],
    }) as unknown as ProcessSnapshot;
  return { time: 0, reader, targets: [{ name: 'web', processes: [proc(1), proc(2)], problems: [] }] } as unknown as CollectionSnapshot;
}

describe('ProblemLog', () => {
  it('logs a denial once per cause, not on every collection, and again after it cleared', () => {
    const log = captureLogger();
    const problems = new ProblemLog(log);
    problems.observe(snap([1, 2]));
    problems.observe(snap([1, 2]));
    problems.observe(snap([2]));
    expect(log.lines).toHaveLength(1);
    expect(log.lines[0]!.level).toBe('warn');
    expect(log.lines[0]!.msg).toContain('target "web": permission denied reading /proc/1/fd (pid 1 and 1 more)');
    expect(log.lines[0]!.msg).toContain('missing CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH');
    problems.observe(snap([]));
    problems.observe(snap([1]));
    expect(log.lines).toHaveLength(2);
  });
});

describe('explainDenied', () => {
  it.each([
    [reader, 1000, 'missing CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH'],
    [{ ...reader, capSysPtrace: true }, 1000, 'missing CAP_DAC_READ_SEARCH)'],
    [{ ...reader, capSysPtrace: true, capDacReadSearch: true }, null, 'a ptrace restriction forbids it: Yama ptrace_scope, AppArmor/SELinux, or a process in another user namespace (sockeye runs as uid 65534)'],
    [reader, 65534, 'a ptrace restriction forbids it'],
  ])('names what %j lacks', (r, uid, text) => {
    expect(explainDenied(r, uid)).toContain(text);
  });
  it('reads CapEff bits', () => {
    expect(parseCapEff('CapInh:\t0\nCapEff:\t0000000000080004\n')).toBe(0x80004n);
    expect(parseCapEff('Name:\tx\n')).toBe(0n);
  });
});
