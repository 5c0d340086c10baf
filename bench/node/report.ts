// The node benchmark's figures as a table, summary lines and issue 16's goals
// marked met / not met. Pure: results in, text out.
import { peerText, type PeerTiming } from '../peers/exporter.js';
import type { CollectionFigures } from '../sockeye/collection.js';
import { mib, ms, ratio, sig, spread, usPer } from '../stats.js';
import { loadAverage, markdownTable, textTable, verdict, type Table, type Verdict } from '../table.js';
import type { NodeFloorResult } from './floor.js';
import type { ServerFigures } from './server.js';

export interface StepResults {
  pods: number;
  processes: number;
  floor: NodeFloorResult;
  /** The source node mode chooses (text, in the worker), interleaved with the floor. */
  collection: CollectionFigures;
  /** The other source, for comparison (native: the main thread, the addon on libuv's pool). */
  other: CollectionFigures | undefined;
  processExporter: PeerTiming | undefined;
}

export interface NodeResults {
  when: string;
  command: string;
  machine: string;
  load: [number, number];
  reps: number;
  /** Buckets of each pod namespace's own TCP hash; undefined: the host's, shared (the kernel's default). */
  ehash: number | undefined;
  shape: { processes: number; containers: number; files: number; pairs: number; closeWait: number };
  steps: StepResults[];
  intervalSeconds: number;
  servers: ServerFigures[] | undefined;
  seconds: number;
}

const count = (n: number) => n.toLocaleString('en');
// Linear: a cost per unit of work within this factor across the sizes.
const LINEAR_SPREAD = 1.5;

function rows(r: NodeResults): Table {
  const header = ['figure (median)', ...r.steps.map((s) => `${s.pods} pods`)];
  const row = (name: string, f: (s: StepResults) => string) => [name, ...r.steps.map(f)];
  const stage = (s: StepResults, name: string) => ms(s.collection.collectors[name] ?? NaN);
  const body = [
    row('processes', (s) => count(s.floor.processes)),
    row('open fds (C walk)', (s) => count(s.floor.fds)),
    row('TCP sockets (sock_diag, every namespace)', (s) => count(s.floor.diagSockets)),
    row('processes on the host (discovery reads all)', (s) => count(s.floor.hostProcesses)),
    row('floor (C): fd walks + net/tcp{,6} per namespace', (s) => ms(s.floor.total)),
    row('  floor: readdir+readlinkat of every fd/', (s) => ms(s.floor.fdWalk)),
    row('  floor: net/tcp + tcp6, one process per namespace', (s) => ms(s.floor.netRead)),
    row('C: sock_diag dump in each namespace (setns)', (s) => ms(s.floor.diag)),
    row('C: fd walks + sock_diag dumps', (s) => ms(s.floor.diagTotal)),
    row('C: discovery (readdir /proc + every cgroup file)', (s) => ms(s.floor.discovery)),
    row('C: stat+status+limits+cmdline of every process', (s) => ms(s.floor.processFiles)),
    row("sockeye node collection, node mode's source", (s) => ms(s.collection.median)),
    row('  its source', (s) => s.collection.mode),
    row('  = x floor', (s) => ratio(s.collection.median, s.floor.total)),
    row('  = x (floor + discovery + process files)', (s) => ratio(s.collection.median, s.floor.total + s.floor.discovery + s.floor.processFiles)),
    row('  targets / processes it found', (s) => `${s.collection.found.targets} / ${count(s.collection.found.processes)}`),
    row('  open fds / sockets it counted', (s) => `${count(s.collection.found.openFds)} / ${count(s.collection.found.sockets)}`),
    row('  read problems (last collection)', (s) => problems(s.collection)),
    ...stageNames(r).map((name) => row(`  stage ${name}`, (s) => stage(s, name))),
    row('  µs per process (whole collection)', (s) => usPer(s.collection.median, s.floor.processes)),
    row('  µs per fd (fd stage)', (s) => usPer(s.collection.collectors.fd ?? NaN, s.floor.fds)),
    row('  ms per namespace (sockets stage)', (s) => ms((s.collection.collectors.sockets ?? NaN) / s.pods)),
    row('  event-loop max delay', (s) => ms(s.collection.loopDelayMax)),
    row('sockeye node collection, the other source', (s) => (s.other ? ms(s.other.median) : 'n/a')),
    row('  its source', (s) => s.other?.mode ?? 'n/a'),
    row('  = x floor', (s) => (s.other ? ratio(s.other.median, s.floor.total) : 'n/a')),
    row('  read problems (last collection)', (s) => (s.other ? problems(s.other) : 'n/a')),
    row('  event-loop max delay', (s) => (s.other ? ms(s.other.loopDelayMax) : 'n/a')),
    row('process-exporter scrape ({{.Cgroups}} groups)', (s) => peerText(s.processExporter)),
    row('  its RSS', (s) => mib(s.processExporter?.rss ?? NaN)),
    row('  its CPU per scrape', (s) => (s.processExporter?.cpuPerScrape === undefined ? 'n/a' : `${sig(s.processExporter.cpuPerScrape)} s`)),
    row('  sockeye collection = x process-exporter', (s) => ratio(s.collection.median, s.processExporter?.ms ?? NaN)),
  ];
  return { header, body };
}

function problems(c: CollectionFigures): string {
  const entries = Object.entries(c.found.problems);
  return entries.length === 0 ? 'none' : entries.map(([k, n]) => `${k} ${n}`).join(', ');
}

function stageNames(r: NodeResults): string[] {
  return [...new Set(r.steps.flatMap((s) => Object.keys(s.collection.collectors)))];
}

function serverRows(r: NodeResults): Table | undefined {
  if (!r.servers) return undefined;
  const header = ['server', 'scrape', `CPU per ${r.intervalSeconds} s`, 'RSS before', 'RSS', 'RSS max', 'RssAnon', 'series', '/readyz worst', 'failed'];
  const body = r.servers.map((s) => [s.label, ms(s.scrapeMs), `${sig(s.cpuPerInterval)} s`, mib(s.rssBefore), mib(s.rss), mib(s.rssMax), mib(s.rssAnon), count(s.series), ms(s.readyzMax), String(s.failures)]);
  return { header, body };
}

function goals(r: NodeResults): string[] {
  const big = r.steps.at(-1);
  if (!big) return [];
  const out: Array<[Verdict, string]> = [];
  const floorRatio = big.collection.median / big.floor.total;
  out.push([verdict(floorRatio <= 1.3), `issue 16: full node collection at ${big.pods} pods ≤ 1.3x the floor: ${sig(floorRatio)}x (${ms(big.collection.median)} vs ${ms(big.floor.total)}, ${big.collection.mode} source); ${big.other ? `${big.other.mode} source ${ratio(big.other.median, big.floor.total)}` : ''}`]);

  const perProcess = r.steps.map((s) => s.collection.median / s.floor.processes);
  const floorPerProcess = r.steps.map((s) => s.floor.total / s.floor.processes);
  const sp = spread(perProcess);
  out.push([
    verdict(sp === undefined ? undefined : sp <= LINEAR_SPREAD),
    `issue 16: linear in the work (whole collection per process within ${LINEAR_SPREAD}x across ${r.steps.map((s) => s.pods).join('/')} pods): ` +
      `${perProcess.map((x) => usPer(x, 1)).join(', ')} (spread ${sp === undefined ? 'n/a' : `${sig(sp)}x`}); the floor's own: ${floorPerProcess.map((x) => usPer(x, 1)).join(', ')} (spread ${sig(spread(floorPerProcess) ?? NaN)}x)`,
  ]);

  const agent = r.servers?.find((s) => s.label === 'node agent');
  const sidecars = r.servers?.filter((s) => s.label.startsWith('sidecar')) ?? [];
  const sidecarRss = sidecars.reduce((n, s) => n + s.rssMax, 0);
  out.push([
    verdict(agent && sidecars.length === 3 ? agent.rssMax < sidecarRss : undefined),
    `issue 16: one node agent (${big.pods} pods) uses less memory than three sidecars: ${agent ? `${mib(agent.rssMax)} vs ${mib(sidecarRss)} (max RSS over the scrapes; RssAnon ${mib(agent.rssAnon)} vs ${mib(sidecars.reduce((n, s) => n + s.rssAnon, 0))})` : 'not measured'}`,
  ]);
  return out.map(([v, t]) => `[${v}] ${t}`);
}

function summaries(r: NodeResults): string[] {
  const out: string[] = [];
  for (const s of r.steps) {
    out.push(
      `node@${s.pods}pods: ${count(s.floor.processes)} processes, ${count(s.floor.fds)} fds, ${count(s.floor.diagSockets)} sockets in ${s.floor.namespaces} namespaces: ` +
        `sockeye ${ms(s.collection.median)} (${s.collection.mode}) = ${ratio(s.collection.median, s.floor.total)} floor (${ms(s.floor.total)}: fd walks ${ms(s.floor.fdWalk)} + socket reads ${ms(s.floor.netRead)}); ` +
        `${s.other ? `${s.other.mode} source ${ms(s.other.median)}` : ''}; process-exporter ${peerText(s.processExporter)}`,
    );
  }
  for (const s of r.servers ?? []) {
    out.push(`server ${s.label}: scrape ${ms(s.scrapeMs)}, ${sig(s.cpuPerInterval)} CPU s per ${r.intervalSeconds} s interval (${sig((s.cpuPerInterval / r.intervalSeconds) * 100)}% of a core), RSS ${mib(s.rss)} (max ${mib(s.rssMax)}, before the first scrape ${mib(s.rssBefore)}), ${count(s.series)} series, /readyz worst ${ms(s.readyzMax)}`);
  }
  return out;
}

export function renderNode(r: NodeResults): { text: string; markdown: string } {
  const table = rows(r);
  const servers = serverRows(r);
  const load = loadAverage(r.load);
  const shape = `pods of ${r.shape.processes} processes in ${r.shape.containers} containers, each process holding ${r.shape.files} files and both ends of ${r.shape.pairs} loopback connections (${r.shape.closeWait} in CLOSE_WAIT) plus the pod's listener`;
  const hash = r.ehash === undefined ? "the pods' namespaces share the host's TCP hash (the kernel's default)" : `each pod's namespace has a TCP hash of its own (${r.ehash} buckets, net.ipv4.tcp_child_ehash_entries)`;
  const head = `sockeye node bench, ${r.when} — ${r.machine}; ${load}\n${shape}; ${hash}; medians of ${r.reps} runs after warm-up`;
  const g = goals(r);
  const text = [head, '', textTable(table), '', ...(servers ? [textTable(servers), ''] : []), ...summaries(r), '', 'goals:', ...g, ''].join('\n');
  const markdown = [
    `Run of \`${r.command}\` on ${r.when.slice(0, 10)}: ${r.machine}; ${load}. ${shape[0]!.toUpperCase()}${shape.slice(1)}; ${hash}; medians of ${r.reps} runs after warm-up.`,
    '',
    markdownTable(table),
    '',
    ...(servers ? [`Servers scraped every ${r.intervalSeconds} s, one after another:`, '', markdownTable(servers), ''] : []),
    '```',
    ...summaries(r),
    '```',
    '',
    ...g.map((l) => `- ${l.replace(/^\[([A-Z /a-z]+)\]/, '**$1**')}`),
    '',
  ].join('\n');
  return { text, markdown };
}
