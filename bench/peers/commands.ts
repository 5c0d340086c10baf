// Command-line peers, timed from spawn to exit (so their start-up counts, as
// it does for an engineer typing them). Output goes to /dev/null, except
// where it is counted.
import { spawnSync } from 'node:child_process';
import { median } from '../stats.js';
import { installed, skipped, type PeerTiming } from './exporter.js';

// A peer stuck on something (a hung mount for lsof) must not hang the benchmark.
const COMMAND_TIMEOUT_MS = 60_000;

function timeCommand(name: string, file: string, args: string[], reps: number, warmup: number, pkg: string): PeerTiming {
  if (!installed(file)) return skipped(name, file, pkg);
  const samples: number[] = [];
  let note = '';
  for (let i = -warmup; i < reps; i++) {
    const t0 = performance.now();
    const r = spawnSync(file, args, { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 256 << 20, encoding: 'utf8', timeout: COMMAND_TIMEOUT_MS });
    const t = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${name}: exited ${r.status ?? r.signal}: ${r.stderr.slice(0, 300)}`);
    if (i >= 0) samples.push(t);
    const lines = r.stdout.split('\n').length - 1;
    note = lines > 1 ? `${lines} lines of output` : `printed ${r.stdout.trim()}`;
  }
  return { name, ms: median(samples), samples, note };
}

/**
 * Per-process commands (`scope` process) or namespace-wide ones, whose cost is
 * the same for any pid. The slow ones (seconds at 19,000 fds) run `slowReps` times.
 */
export function timeCommands(pid: number, reps: number, slowReps: number, warmup: number, scope: 'process' | 'namespace'): PeerTiming[] {
  if (scope === 'process') {
    return [
      timeCommand('lsof -p PID', 'lsof', ['-p', String(pid)], slowReps, warmup, 'lsof'),
      timeCommand('ls -f /proc/PID/fd | wc -l', 'sh', ['-c', `ls -f /proc/${pid}/fd | wc -l`], reps, warmup, 'coreutils'),
    ];
  }
  return [
    timeCommand('ss -tanp', 'ss', ['-tanp'], slowReps, warmup, 'iproute2'),
    timeCommand('ss -tan | wc -l', 'sh', ['-c', 'ss -tan | wc -l'], reps, warmup, 'iproute2'),
  ];
}
