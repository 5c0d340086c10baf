// npm run bench:pictures [-- --fds 19000 --reps 20 --source native|text] —
// what incident snapshots add to a collection: the same fixture target
// collected with snapshots on (each target's full picture built) and off,
// alternately (paired, so load on the machine hits both alike), plus the
// size of the stored snapshot. Reports; never asserts.
import { parseArgs } from 'node:util';
import { Registry } from 'prom-client';
import { createTargetCollection } from '../src/collectors/index.js';
import { configSchema } from '../src/config/schema.js';
import { cleanup, installCleanupHandlers } from './cleanup.js';
import { startFixtures } from './fixtures/index.js';
import { quietLogger } from './sockeye/collection.js';
import { median, sig } from './stats.js';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { fds: { type: 'string', default: '19000' }, reps: { type: 'string', default: '20' }, source: { type: 'string', default: 'native' } } });
  const source = values.source;
  if (source !== 'native' && source !== 'text') {
    process.stderr.write('bench:pictures: --source must be native or text\n');
    process.exit(2);
  }
  const fds = Number(values.fds);
  const reps = Number(values.reps);
  installCleanupHandlers();
  const { targets } = await startFixtures([fds], (line) => process.stderr.write(`${line}\n`));
  const pid = targets[0]!.pid;
  const collection = (enabled: boolean) =>
    createTargetCollection(configSchema.parse({ targets: [{ name: 'bench', match: { pid } }], snapshots: { enabled } }), new Registry(), quietLogger(), { source });
  const on = collection(true);
  const off = collection(false);
  for (let i = 0; i < 3; i++) {
    await on.collect();
    await off.collect();
  }
  const times = { on: [] as number[], off: [] as number[] };
  let bytes = 0;
  let paths = 0;
  let groups = 0;
  for (let i = 0; i < reps; i++) {
    // Alternate which goes first, so neither always follows the other's work.
    for (const which of i % 2 === 0 ? (['on', 'off'] as const) : (['off', 'on'] as const)) {
      const t0 = performance.now();
      const snap = await (which === 'on' ? on : off).collect();
      times[which].push(performance.now() - t0);
      if (which === 'on') {
        const picture = snap.pictures![0]!;
        bytes = Buffer.byteLength(JSON.stringify(picture));
        paths = picture.total.paths.length;
        groups = picture.total.sockets.length;
      }
    }
  }
  await on.close();
  await off.close();
  const mOn = median(times.on);
  const mOff = median(times.off);
  process.stdout.write(
    `pictures@${fds}fds (${source}, ${reps} paired collections): snapshots on ${sig(mOn)} ms, off ${sig(mOff)} ms median: +${sig(mOn - mOff)} ms (${sig(((mOn - mOff) / mOff) * 100)}%); picture ${sig(bytes / 1024)} KiB as JSON (${paths} paths, ${groups} socket groups)\n`,
  );
}

try {
  await main();
} finally {
  cleanup();
}
