// A target whose /proc/PID/fd sockeye may not read: the collection still
// succeeds, the target is marked unreadable, the cause is logged once with
// the capability that is missing, and what needs no permission is still known.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { CollectionSnapshot } from '../../src/collectors/index.js';
import type { LogLine } from '../support/collection.js';
import { killAllHolders, spawnHolder } from '../support/procs.js';
import { worldReadableCopy } from '../support/world-readable.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

afterAll(killAllHolders);

/** Collects `pid` as an unprivileged user: uid 65534 via setpriv when we are root, else ourselves (pid owned by root). */
async function collectAsOther(config: string, source: string): Promise<{ snapshot: CollectionSnapshot; metrics: string; logs: LogLine[] }> {
  const asRoot = process.getuid?.() === 0;
  // uid 65534 runs a world-readable copy: this checkout may sit in a private directory.
  const cwd = asRoot ? await worldReadableCopy() : root;
  const node = [process.execPath, '--import', 'tsx', join(cwd, 'test/support/collect-json.ts'), config];
  const argv = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', ...node] : node;
  const { stdout } = await run(argv[0]!, argv.slice(1), { cwd, timeout: 60_000, env: { ...process.env, HOME: '/tmp', SOCKEYE_COLLECT_SOURCE: source } });
  return JSON.parse(stdout) as { snapshot: CollectionSnapshot; metrics: string; logs: LogLine[] };
}

describe('a target sockeye may not read', () => {
  // native: the walk's EACCES comes back from libuv's pool, as the text source's synchronous walk throws it.
  it.each(['text', 'native'])('is readable=0 with the missing capability logged once, and the scrape succeeds (%s source)', async (source) => {
    // As root, a holder of ours is someone else's to uid 65534; otherwise pid 1 (root's) is someone else's to us.
    const h = process.getuid?.() === 0 ? await spawnHolder({ eventfds: 2, pipes: 1 }) : undefined;
    const pid = h?.pid ?? 1;
    const { snapshot, metrics, logs } = await collectAsOther(`targets:\n  - name: locked\n    match: { pid: ${pid} }\n`, source);

    const t = snapshot.targets[0]!;
    expect(t.processes.map((p) => p.pid)).toEqual([pid]);
    expect(t.readable).toBe(false);
    const p = t.processes[0]!;
    expect(p.readable).toBe(false);
    expect(p.fds).toBeNull();
    expect(p.problems).toContainEqual(expect.objectContaining({ collector: 'fd', kind: 'denied', path: `${pid}/fd` }));
    // World-readable files are still read.
    expect(p.maxFds).toBeGreaterThan(0);
    expect(p.threads).toBeGreaterThan(0);
    if (h) {
      // stat() of the fd directory needs no ptrace access: the count survives (3 stdio + 2 pipe ends + 2 eventfds).
      expect(p.openFds).toBe(7);
    }
    expect(snapshot.collectors.map((c) => [c.name, c.success])).toEqual(snapshot.collectors.map((c) => [c.name, true]));
    expect(metrics).toMatch(/^sockeye_target_readable\{target="locked"\} 0$/m);
    expect(metrics).toMatch(/^sockeye_scrape_collector_success\{collector="fd"\} 1$/m);

    const warnings = logs.filter((l) => l.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain(`permission denied reading /proc/${pid}/fd`);
    expect(warnings[0]!.msg).toMatch(/needs the same uid, or CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH \(sockeye runs as uid \d+, the process as uid 0; missing CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH\)/);
  });
});
