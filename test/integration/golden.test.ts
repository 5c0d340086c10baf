// The exposition of the fixture tree (test/fixtures/proc) is compared with a
// golden file and checked by `promtool check metrics`. Regenerate the golden
// file after an intended change with:
//   npm run golden        (UPDATE_GOLDEN=1 vitest run test/integration/golden.test.ts)
// and review its diff like code.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { createTargetCollection } from '../../src/collectors/index.js';
import { captureLogger, fixtureConfig } from '../support/collection.js';

const golden = fileURLToPath(new URL('../fixtures/golden/fixture.prom', import.meta.url));
const config = fixtureConfig();

/** promtool check metrics on `text`; resolves with its exit code and output. */
function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('promtool', ['check', 'metrics'], { timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(err);
      else resolve({ code: err ? (err.code as number) : 0, output: `${stdout}${stderr}` });
    });
    child.stdin!.end(text);
  });
}

// Durations and socket ages (the time between the two collections) differ run
// to run; everything else in the fixture is fixed.
function normalise(text: string): string {
  return text.replace(/^((?:sockeye_scrape_collector_duration_seconds|sockeye_process_socket_oldest_age_seconds)\{[^}]*\}) .*$/gm, '$1 0');
}

describe('golden exposition of the fixture tree', () => {
  it('matches test/fixtures/golden/fixture.prom', async () => {
    const registry = new Registry();
    const collection = createTargetCollection(config, registry, captureLogger());
    await collection.collect();
    // A second collection: restarts and gauges stay stable when nothing changed.
    await collection.collect();
    const text = normalise(await registry.metrics());
    await collection.close();
    if (process.env.UPDATE_GOLDEN === '1') writeFileSync(golden, text);
    expect(text).toBe(readFileSync(golden, 'utf8'));
  });

  it('passes promtool check metrics, as the golden file and as the whole /metrics', async () => {
    // The check can fail: a counter without _total is rejected.
    expect((await promtoolCheck('# HELP x_count A counter.\n# TYPE x_count counter\nx_count 1\n')).code).not.toBe(0);
    const fromFile = await promtoolCheck(readFileSync(golden, 'utf8'));
    expect(fromFile).toEqual({ code: 0, output: '' });

    const app = await buildApp(config, { logger: false });
    try {
      const body = (await app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(body).toContain('sockeye_process_open_fds{target="web"} 34');
      // prom-client's nodejs_active_* gauges carry names promtool's linter dislikes.
      const filtered = body
        .split('\n')
        .filter((l) => !/^(# (HELP|TYPE) )?nodejs_active_/.test(l))
        .join('\n');
      expect(await promtoolCheck(filtered)).toEqual({ code: 0, output: '' });
    } finally {
      await app.close();
    }
  });
});
