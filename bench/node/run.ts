// npm run bench:node [-- --quick] — a node agent's cost (issue 16): one
// sockeye in node mode watching a node of pods that grows 25 → 50 → 100, next
// to the C floor of the same system calls and to process-exporter grouping the
// same processes by cgroup, all measured in one run on the same fixture; then
// the node agent and three sidecars as real servers scraped every 15 s: CPU
// per scrape, RSS. Reports; never fails on a missed goal (exit 0).
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureBuilt } from '../../test/support/sockeye.js';
import { cleanup, installCleanupHandlers } from '../cleanup.js';
import { commandLine, log, machine, skipList, wholeNumber } from '../cli.js';
import { OUT } from '../floor.js';
import { timeConfiguredCollection } from '../sockeye/collection.js';
import { createNodeFixture, DEFAULT_SHAPE } from './fixture.js';
import { buildNodeFloor, runNodeFloorRaw, summarizeNodeFloor, type NodeFloorRaw } from './floor.js';
import { timeNodeProcessExporter } from './process-exporter.js';
import { renderNode, type NodeResults, type StepResults } from './report.js';
import { NODE_CONFIG, scrapeOnInterval } from './server.js';

const USAGE = `npm run bench:node [-- options]

  --quick            a short run (~3 min): 3 repetitions, 2 scrapes per server
  --pods A,B,C       node sizes, pods added between them (default 25,50,100)
  --reps N           timed collections per size after warm-up (default 7)
  --scrapes N        scrapes per server after a warm-up one (default 4)
  --interval SECONDS scrape interval of the servers (default 15)
  --ehash BUCKETS    give each pod's network namespace a TCP hash of its own
                     (net.ipv4.tcp_child_ehash_entries); default: the host's, shared
  --skip LIST        leave out parts: peers,other,servers (comma-separated; other: the
                     source node mode does not choose, timed beside it)
  -h, --help`;

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      pods: { type: 'string', default: '25,50,100' },
      reps: { type: 'string' },
      scrapes: { type: 'string' },
      interval: { type: 'string', default: '15' },
      ehash: { type: 'string' },
      skip: { type: 'string', default: '' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name: string, text: string | undefined, fallback: number, min: number, max: number) => wholeNumber('bench:node', name, text, fallback, min, max);
  const pods = values.pods.split(',').map((p) => int('pods', p.trim(), 0, 1, 400));
  if (pods.some((p, i) => i > 0 && p <= pods[i - 1]!)) {
    process.stderr.write(`bench:node: --pods: expected increasing sizes (pods are added between them), got ${JSON.stringify(values.pods)}\n`);
    process.exit(2);
  }
  const skip = skipList('bench:node', values.skip, ['peers', 'other', 'servers']);
  return {
    pods,
    reps: int('reps', values.reps, values.quick ? 3 : 7, 1, 100),
    scrapes: int('scrapes', values.scrapes, values.quick ? 2 : 4, 1, 100),
    intervalSeconds: int('interval', values.interval, 15, 1, 300),
    ehash: values.ehash === undefined ? undefined : int('ehash', values.ehash, 0, 128, 2 ** 20),
    skip,
  };
}

async function main(): Promise<void> {
  const o = options();
  installCleanupHandlers();
  const started = Date.now();
  const loadStart = os.loadavg()[0]!;
  log('bench:node: building sockeye, the floor and the pod program');
  await ensureBuilt();
  buildNodeFloor();
  const node = createNodeFixture(DEFAULT_SHAPE, o.ehash);

  const steps: StepResults[] = [];
  for (const pods of o.pods) {
    await node.add(pods - node.pods.length, log);
    const files = node.pidFiles();
    log(`${pods} pods: the floor and sockeye's node collection interleaved (the source node mode chooses)`);
    // One floor repetition before each timed collection: both see the same machine load.
    const floorRuns: NodeFloorRaw[] = [runNodeFloorRaw(files, 1, 1)];
    const collection = await timeConfiguredCollection(NODE_CONFIG, undefined, o.reps, 1, () => floorRuns.push(runNodeFloorRaw(files, 1, 0)));
    let other: StepResults['other'];
    if (!o.skip.has('other')) {
      const kind = collection.mode === 'native' ? 'text' : 'native';
      log(`${pods} pods: sockeye's node collection, the ${kind} source`);
      other = await timeConfiguredCollection(NODE_CONFIG, kind, o.reps, 1);
    }
    let processExporter: StepResults['processExporter'];
    if (!o.skip.has('peers')) {
      log(`${pods} pods: process-exporter`);
      processExporter = await timeNodeProcessExporter(node.pids().length, join(OUT), o.reps, 1);
    }
    const floor = summarizeNodeFloor(floorRuns);
    steps.push({ pods, processes: node.pids().length, floor, collection, other, processExporter });
    log(`${pods} pods: sockeye ${collection.median.toFixed(0)} ms, floor ${floor.total.toFixed(0)} ms`);
  }

  let servers: NodeResults['servers'];
  if (!o.skip.has('servers')) {
    log(`servers: a node agent and three sidecars (one pod each), scraped every ${o.intervalSeconds} s, ${o.scrapes} times after a warm-up scrape`);
    // A sidecar's app is its pod's processes: their command line names the pod's own file.
    const sidecar = (i: number) => ({ label: `sidecar ${i + 1}`, config: { targets: [{ name: 'app', match: { cmdline: `/pod-${i}\\.log` } }] } });
    servers = await scrapeOnInterval([{ label: 'node agent', config: NODE_CONFIG }, sidecar(0), sidecar(1), sidecar(2)], o.scrapes, o.intervalSeconds * 1000, log);
  }

  const results: NodeResults = {
    when: new Date().toISOString(),
    command: commandLine('bench:node'),
    machine: machine(),
    load: [loadStart, os.loadavg()[0]!],
    reps: o.reps,
    ehash: o.ehash,
    shape: DEFAULT_SHAPE,
    steps,
    intervalSeconds: o.intervalSeconds,
    servers,
    seconds: (Date.now() - started) / 1000,
  };
  const { text, markdown } = renderNode(results);
  const suffix = o.ehash === undefined ? '' : `-ehash${o.ehash}`;
  writeFileSync(join(OUT, `node-results${suffix}.json`), `${JSON.stringify(results, null, 1)}\n`);
  writeFileSync(join(OUT, `node-report${suffix}.md`), markdown);
  process.stdout.write(text);
  log(`bench:node: done in ${results.seconds.toFixed(0)} s; bench/out/node-report${suffix}.md and node-results${suffix}.json written`);
}

try {
  await main();
} finally {
  cleanup();
}
