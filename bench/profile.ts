// npm run bench:profile [-- --fds 19000 --reps 20] — where a collection's time
// goes: CPU-profiles sockeye's inline collection of one fixture target (the
// same code the worker runs), writes bench/out/collection.cpuprofile (open it
// in Chrome DevTools) and prints the top frames by self time.
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

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** Self time by function (name + file:line), largest first, as [label, ms, share]. */
export function topFrames(profile: Profile, n: number): Array<[string, number, number]> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  // timeDeltas[i] is the time before sample i; attribute it to the sampled node.
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]!);
    const us = deltas[i] ?? 0;
    if (!node || us <= 0) continue;
    const f = node.callFrame;
    const file = f.url.replace(/^.*\/(node_modules|src|bench)\//, '$1/').replace(/^node:/, '');
    const label = `${f.functionName || '(anonymous)'}${file ? ` ${file}:${f.lineNumber + 1}` : ''}`;
    self.set(label, (self.get(label) ?? 0) + us);
    total += us;
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([label, us]) => [label, us / 1000, us / total]);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { fds: { type: 'string', default: '19000' }, reps: { type: 'string', default: '20' }, top: { type: 'string', default: '25' } } });
  const fds = Number(values.fds);
  const reps = Number(values.reps);
  if (!Number.isInteger(fds) || fds < 100 || fds > 19_500 || !Number.isInteger(reps) || reps < 1) {
    process.stderr.write('bench:profile: --fds must be 100..19500 and --reps a positive whole number\n');
    process.exit(2);
  }
  installCleanupHandlers();
  const { targets } = await startFixtures([fds], (line) => process.stderr.write(`${line}\n`));
  const pid = targets[0]!.pid;
  const config = configSchema.parse({ targets: [{ name: 'bench', match: { pid } }] });
  const collection = createTargetCollection(config, new Registry(), quietLogger(), { mode: 'inline' });
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

  const file = join(OUT, 'collection.cpuprofile');
  writeFileSync(file, JSON.stringify(profile));
  process.stdout.write(`${reps} inline collections of ${fds} fds: ${sig(wall / reps)} ms each (profiler on); profile in ${file}\n\nself time per collection, top frames:\n`);
  for (const [label, totalMs, share] of topFrames(profile, Number(values.top))) {
    process.stdout.write(`${sig(totalMs / reps).padStart(7)} ms ${`${sig(share * 100)}%`.padStart(6)}  ${label}\n`);
  }
}

try {
  await main();
} finally {
  cleanup();
}
