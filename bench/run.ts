// npm run bench [-- --quick] — sockeye's cost, next to the kernel's floor and
// to the tools an engineer would otherwise use, all measured in one run on the
// same fixture processes. Reports; never fails on a missed target (exit 0),
// but marks each target of issue 6 (and issue 2's first floor) met or not.
import { rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cleanup, installCleanupHandlers } from './cleanup.js';
import { commandLine, log, machine, skipList, wholeNumber } from './cli.js';
import { namespaceSockets, startFixtures, type Target } from './fixtures/index.js';
import { buildFloor, OUT, runFloorRaw, summarizeFloor, type FloorRaw } from './floor.js';
import { runNodeFloor } from './floor-node.js';
import { timeCommands } from './peers/commands.js';
import type { PeerTiming } from './peers/exporter.js';
import { timeNodeExporter } from './peers/node-exporter.js';
import { timeProcessExporter } from './peers/process-exporter.js';
import { render, type Results, type SizeResults } from './report.js';
import { benchChecks, type CheckFigures } from './sockeye/checks.js';
import { timeCollection, timeStatCount } from './sockeye/collection.js';
import { profileSockeyeInto, soak, startBenchSockeye, timeConcurrentScrapes, timeSockeyeScrapes, type SoakFigures } from './sockeye/server.js';
import { ensureBuilt } from '../test/support/sockeye.js';
import { summarizeProfiles } from './cpuprofile.js';

const USAGE = `npm run bench [-- options]

  --quick              a short run (~2 min): 20 s memory soak, 10 s of checks, lsof and ss -tanp 3 times
  --reps N             timed repetitions per figure after warm-up (default 15, at least 15 for the report)
  --sizes A,B,C        target fd counts (default 1000,10000,19000; each below the 20,000 fd hard limit)
  --soak SECONDS       memory over time: one scrape per second (default 300, --quick 20)
  --checks N           checks for the scheduler figure (default 500)
  --checks-seconds S   how long the checks run (default 60, --quick 10)
  --scrapers N         concurrent scrapers (default 50)
  --skip LIST          leave out parts: peers,http,soak,checks (comma-separated)
  --cpu-prof           CPU-profile every sockeye server's main thread (bench/out/profiles/) and print
                       each profile's top frames; timings then include the profiler's overhead
  -h, --help`;

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      reps: { type: 'string' },
      sizes: { type: 'string' },
      soak: { type: 'string' },
      checks: { type: 'string' },
      'checks-seconds': { type: 'string' },
      scrapers: { type: 'string' },
      skip: { type: 'string', default: '' },
      'cpu-prof': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name: string, text: string | undefined, fallback: number, min: number, max: number) => wholeNumber('bench', name, text, fallback, min, max);
  const sizes = (values.sizes ?? '1000,10000,19000').split(',').map((s) => int('sizes', s.trim(), 0, 100, 19_500));
  const skip = skipList('bench', values.skip, ['peers', 'http', 'soak', 'checks']);
  return {
    quick: values.quick,
    reps: int('reps', values.reps, 15, 1, 1000),
    sizes,
    soakSeconds: int('soak', values.soak, values.quick ? 20 : 300, 3, 3600),
    checks: int('checks', values.checks, 500, 1, 5000),
    checksSeconds: int('checks-seconds', values['checks-seconds'], values.quick ? 10 : 60, 3, 600),
    scrapers: int('scrapers', values.scrapers, 50, 1, 500),
    rounds: values.quick ? 4 : 10,
    // lsof and ss -tanp take seconds each at 19,000 fds / 30,000 sockets.
    slowReps: values.quick ? 3 : int('reps', values.reps, 15, 1, 1000),
    skip,
    cpuProf: values['cpu-prof'],
  };
}

async function measureSize(t: Target, o: ReturnType<typeof options>, dir: string): Promise<SizeResults> {
  const sockets = namespaceSockets();
  log(`${t.fds} fds: floor and sockeye's collection interleaved (default source, then the text source in its worker); ${sockets} TCP sockets in the namespace`);
  // The machine may be busy with other work: each timed collection is
  // preceded by three repetitions of the floor, so the ratio compares like with like.
  const floorRuns: FloorRaw[] = [];
  const collection = await timeCollection(t.pid, undefined, o.reps, 3, () => floorRuns.push(runFloorRaw(t.pid, 3, 1)), true);
  const floor = summarizeFloor(floorRuns);
  const worker = await timeCollection(t.pid, 'text', o.reps, 3);
  const nodeFloor = await runNodeFloor(t.pid, Math.max(o.reps, 15));
  const statCount = timeStatCount(t.pid, Math.max(o.reps, 100));
  const peers: PeerTiming[] = [];
  if (!o.skip.has('peers')) {
    log(`${t.fds} fds: process-exporter, lsof, ls`);
    peers.push(await timeProcessExporter(t.pid, t.fds, dir, o.reps, 2));
    peers.push(...timeCommands(t.pid, o.reps, o.slowReps, 1, 'process'));
  }
  let http: SizeResults['http'];
  if (!o.skip.has('http')) {
    log(`${t.fds} fds: sockeye over HTTP`);
    const s = await startBenchSockeye(t.pid, {}, `scrape-${t.fds}`);
    try {
      http = await timeSockeyeScrapes(s, o.reps, 3);
    } finally {
      await s.stop();
    }
  }
  return { fds: t.fds, sockets, target: t, floor, nodeFloor, collection, worker, statCount, peers, http };
}

async function main(): Promise<void> {
  const o = options();
  installCleanupHandlers();
  const started = Date.now();
  const loadStart = os.loadavg()[0]!;
  const profiles = join(OUT, 'profiles');
  if (o.cpuProf) {
    rmSync(profiles, { recursive: true, force: true });
    profileSockeyeInto(profiles);
  }
  log(`bench: building sockeye and the floor`);
  await ensureBuilt();
  buildFloor();

  log(`bench: starting fixtures for ${o.sizes.join(', ')} fds`);
  const fixtures = await startFixtures(o.sizes, log);
  const sockets = namespaceSockets();

  const sizes: SizeResults[] = [];
  for (const t of fixtures.targets) sizes.push(await measureSize(t, o, fixtures.dir));
  const largest = fixtures.targets.reduce((a, b) => (b.fds > a.fds ? b : a));

  // Namespace-wide peers: their cost does not depend on which process.
  const namespacePeers: PeerTiming[] = [];
  if (!o.skip.has('peers')) {
    log('namespace: ss, node-exporter');
    namespacePeers.push(...timeCommands(largest.pid, o.reps, o.slowReps, 1, 'namespace'));
    namespacePeers.push(await timeNodeExporter(o.reps, 2));
  }

  let concurrent: Results['concurrent'];
  let soakFigures: SoakFigures | undefined;
  if (!o.skip.has('http') || !o.skip.has('soak')) {
    const s = await startBenchSockeye(largest.pid, {}, 'concurrent-and-soak');
    try {
      if (!o.skip.has('http')) {
        log(`${largest.fds} fds: ${o.scrapers} concurrent scrapers × ${o.rounds} rounds`);
        const single = await timeSockeyeScrapes(s, o.reps, 3);
        concurrent = { single: single.median, ...(await timeConcurrentScrapes(s, o.scrapers, o.rounds)) };
      }
      if (!o.skip.has('soak')) {
        log(`${largest.fds} fds: memory over ${o.soakSeconds} s, one scrape per second`);
        soakFigures = await soak(s, o.soakSeconds, log);
      }
    } finally {
      await s.stop();
    }
  }

  let checks: CheckFigures | undefined;
  if (!o.skip.has('checks')) {
    log(`checks: ${o.checks} http checks every 1 s for ${o.checksSeconds} s, the second half also scraping ${largest.fds} fds once a second`);
    checks = await benchChecks(largest.pid, o.checks, o.checksSeconds, log);
  }

  const results: Results = {
    when: new Date().toISOString(),
    command: commandLine('bench'),
    machine: machine(),
    load: [loadStart, os.loadavg()[0]!],
    reps: o.reps,
    namespaceSockets: sockets,
    sizes,
    namespacePeers,
    concurrent,
    soak: soakFigures,
    checks,
    seconds: (Date.now() - started) / 1000,
  };
  const { text, markdown } = render(results);
  writeFileSync(join(OUT, 'results.json'), `${JSON.stringify(results, null, 1)}\n`);
  writeFileSync(join(OUT, 'report.md'), markdown);
  process.stdout.write(text);
  if (o.cpuProf) process.stdout.write(`\nCPU profiles of the sockeye servers (self time, top frames):\n${summarizeProfiles(profiles, 12).join('\n')}\n`);
  log(`bench: done in ${results.seconds.toFixed(0)} s; bench/out/report.md and results.json written`);
}

try {
  await main();
} finally {
  cleanup();
}
