// npm run bench:profile [-- --fds 19000 --reps 20 --source native|text] —
// where a collection's time goes: CPU-profiles sockeye's collection of one
// fixture target (with --pods N: a node-mode collection of a node fixture of
// N pods, bench/node/fixture.ts; --ehash as in bench:node), writes bench/out/collection-<source>.cpuprofile (open it in
// Chrome DevTools) and prints the top frames by self time. native (default)
// profiles what the main thread does with the native source (the addon's
// work runs on libuv's pool, outside the profile); text profiles what is left
// on the main thread when the text source's worker does the work.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { createTargetCollection } from '../src/collectors/index.js';
import { configSchema } from '../src/config/schema.js';
import { cleanup, installCleanupHandlers } from './cleanup.js';
import { startFixtures } from './fixtures/index.js';
import { OUT } from './floor.js';
import { quietLogger } from './sockeye/collection.js';
import { sig } from './stats.js';
import { topFrames, type Profile } from './cpuprofile.js';
import { createNodeFixture } from './node/fixture.js';
import { NODE_CONFIG } from './node/server.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { fds: { type: 'string', default: '19000' }, pods: { type: 'string' }, ehash: { type: 'string' }, reps: { type: 'string', default: '20' }, top: { type: 'string', default: '25' }, source: { type: 'string', default: 'native' } } });
  const mode = values.source;
  if (mode !== 'native' && mode !== 'text') {
    process.stderr.write('bench:profile: --source must be native or text\n');
    process.exit(2);
  }
  const fds = Number(values.fds);
  const reps = Number(values.reps);
  if (!Number.isInteger(fds) || fds < 100 || fds > 19_500 || !Number.isInteger(reps) || reps < 1) {
    process.stderr.write('bench:profile: --fds must be 100..19500 and --reps a positive whole number\n');
    process.exit(2);
  }
  const pods = values.pods === undefined ? undefined : Number(values.pods);
  if (pods !== undefined && (!Number.isInteger(pods) || pods < 1 || pods > 400)) {
    process.stderr.write('bench:profile: --pods must be 1..400\n');
    process.exit(2);
  }
  installCleanupHandlers();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let config;
  if (pods === undefined) {
    const { targets } = await startFixtures([fds], log);
    config = configSchema.parse({ targets: [{ name: 'bench', match: { pid: targets[0]!.pid } }] });
  } else {
    await createNodeFixture(undefined, values.ehash === undefined ? undefined : Number(values.ehash)).add(pods, log);
    config = configSchema.parse(NODE_CONFIG);
  }
  const what = pods === undefined ? `${fds} fds` : `a node of ${pods} pods`;
  const collection = createTargetCollection(config, new Registry(), quietLogger(), { source: mode });
  for (let i = 0; i < 3; i++) await collection.collect(); // warm-up: JIT, caches

  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) await collection.collect();
  const wall = performance.now() - t0;
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
  session.disconnect();
  await collection.close();

  const file = join(OUT, `collection-${pods === undefined ? '' : 'node-'}${mode}.cpuprofile`);
  writeFileSync(file, JSON.stringify(profile));
  process.stdout.write(`${reps} ${mode} collections of ${what} (main thread profiled): ${sig(wall / reps)} ms each (profiler on); profile in ${file}\n\nself time per collection, top frames:\n`);
  for (const [label, totalMs, share] of topFrames(profile, Number(values.top))) {
    process.stdout.write(`${sig(totalMs / reps).padStart(7)} ms ${`${sig(share * 100)}%`.padStart(6)}  ${label}\n`);
  }
}

try {
  await main();
} finally {
  cleanup();
}
