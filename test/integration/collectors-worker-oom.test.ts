// The collection worker runs with a bounded heap (WORKER_RESOURCE_LIMITS). A
// collection that needs more kills the worker with ERR_WORKER_OUT_OF_MEMORY:
// the scrape must still be answered (collected on the main thread), and the
// next collection must get a fresh worker. (Node lets a worker's heap pass its
// limit by only 16 MiB while it stops: one allocation much larger than that
// aborts the whole process, which is why the real limit is far above any
// single allocation a collection makes.)
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createTargetCollection } from '../../src/collectors/index.js';
import { captureLogger, FIXTURE_PROC_ROOT } from '../support/collection.js';

const procRoot = mkdtempSync(join(tmpdir(), 'sockeye-oom-'));
afterAll(() => rmSync(procRoot, { recursive: true, force: true }));

describe('a collection worker that runs out of heap', () => {
  // A worker dying of heap exhaustion garbage-collects hard on its way down:
  // about 25 s alone here, more on a loaded machine. Nothing asserted is a time.
  it('is replaced: that scrape is collected on the main thread, the next one by a fresh worker', { timeout: 120_000 }, async () => {
    cpSync(join(FIXTURE_PROC_ROOT, 'stat'), join(procRoot, 'stat'));
    cpSync(join(FIXTURE_PROC_ROOT, '4101'), join(procRoot, '4101'), { recursive: true, verbatimSymlinks: true });
    // 12,000 fds on distinct ~4 KiB paths: ~50 MiB of link strings, more than
    // the 24 MiB heap allowed here, reached gradually as a real large target would.
    const fdDir = join(procRoot, '4101', 'fd');
    rmSync(fdDir, { recursive: true });
    mkdirSync(fdDir);
    const deep = `/${'d'.repeat(250)}`.repeat(16);
    for (let fd = 0; fd < 12_000; fd++) symlinkSync(`${deep}/${fd}`, join(fdDir, String(fd)));
    const config = parseConfig(`procRoot: ${procRoot}\ntargets:\n  - name: big\n    match: { pid: 4101 }\n`);
    const log = captureLogger();
    const collection = createTargetCollection(config, new Registry(), log, { workerResourceLimits: { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 24 } });
    try {
      const first = await collection.collect();
      expect(first.targets[0]!.processes.map((p) => [p.pid, p.openFds, p.fds?.file])).toEqual([[4101, 12_000, 12_000]]);
      const errors = log.lines.filter((l) => l.level === 'error');
      expect(errors.map((l) => l.msg)).toEqual(['collection worker failed; collecting on the main thread']);
      expect(String((errors[0]!.obj as { err: Error }).err)).toMatch(/ERR_WORKER_OUT_OF_MEMORY|out of memory/i);

      rmSync(fdDir, { recursive: true });
      mkdirSync(fdDir);
      symlinkSync('/srv/index.html', join(fdDir, '0'));
      const next = await collection.collect();
      expect(next.targets[0]!.processes.map((p) => [p.pid, p.openFds, p.paths])).toEqual([[4101, 1, [{ path: '/srv/index.html', count: 1 }]]]);
      // No second fallback: the fresh worker collected it.
      expect(log.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    } finally {
      await collection.close();
    }
  });
});
