// Turns one run's figures into a table, one summary line per figure, and the
// targets of issues 6 and 2 marked met / not met. Pure: results in, text out.
import type { FloorResult } from './floor.js';
import type { NodeFloor } from './floor-node.js';
import type { Target } from './fixtures/index.js';
import { peerText, type PeerTiming } from './peers/exporter.js';
import type { CheckFigures, CheckHalf } from './sockeye/checks.js';
import type { CollectionFigures } from './sockeye/collection.js';
import type { ConcurrentFigures, ScrapeFigures, SoakFigures } from './sockeye/server.js';
import { mib, ms, ratio, sig, spread, usPer } from './stats.js';
import { loadAverage, markdownTable, textTable, verdict, type Table, type Verdict } from './table.js';

export interface SizeResults {
  fds: number;
  /** TCP sockets in the namespace when this size was measured (other work on the machine changes it). */
  sockets: number;
  target: Target;
  floor: FloorResult;
  nodeFloor: NodeFloor;
  /** The default mode (async where the addon is built), interleaved with the floor. */
  collection: CollectionFigures;
  /** The text source, in its worker thread. */
  worker: CollectionFigures;
  statCount: { median: number; count: number | undefined };
  peers: PeerTiming[];
  http: ScrapeFigures | undefined;
}

export interface Results {
  when: string;
  command: string;
  machine: string;
  /** 1-minute load average at the start and the end of the run */
  load: [number, number];
  reps: number;
  namespaceSockets: number;
  sizes: SizeResults[];
  namespacePeers: PeerTiming[];
  concurrent: (ConcurrentFigures & { single: number }) | undefined;
  soak: SoakFigures | undefined;
  checks: CheckFigures | undefined;
  seconds: number;
}

interface TargetLine {
  verdict: Verdict;
  text: string;
}

const peer = (s: SizeResults | undefined, name: string) => s?.peers.find((p) => p.name === name);
// No growth: the last window's median RSS within 5% of the first window's.
const GROWTH_TOLERANCE = 0.05;

function rows(r: Results): Table {
  const header = ['figure (median)', ...r.sizes.map((s) => `${s.fds.toLocaleString('en')} fds`)];
  const row = (name: string, f: (s: SizeResults) => string) => [name, ...r.sizes.map(f)];
  const body = [
    row('TCP sockets in the namespace', (s) => s.sockets.toLocaleString('en')),
    row('floor (C): fd walk + net read', (s) => ms(s.floor.total)),
    row('  floor: readdir+readlinkat of fd/', (s) => ms(s.floor.fdWalk)),
    row('  floor: read net/tcp + tcp6', (s) => ms(s.floor.netRead)),
    row('C: fd walk, readlink on full paths', (s) => ms(s.floor.fdWalkPaths)),
    row('C: sock_diag dump of TCP (sockeye reads this)', (s) => (s.floor.diagSockets < 0 ? 'unavailable' : ms(s.floor.diag))),
    row('  sockets in that dump (no TIME_WAIT)', (s) => s.floor.diagSockets.toLocaleString('en')),
    row('C: fd walk + sock_diag dump', (s) => ms(s.floor.diagTotal)),
    row('same work from Node: fd walk', (s) => ms(s.nodeFloor.fdWalk)),
    row('  native addon: fd walk + summary', (s) => ms(s.nodeFloor.fdWalkNative)),
    row('  Node: net read, readFileSync', (s) => ms(s.nodeFloor.netReadFile)),
    row('  Node: net read, 4 MiB readSync', (s) => ms(s.nodeFloor.netReadLarge)),
    row('sockeye collection, default mode', (s) => ms(s.collection.median)),
    row('  its source; its fd walk', (s) => `${s.collection.mode}; ${s.collection.fdWalk}`),
    row('  = x floor', (s) => ratio(s.collection.median, s.floor.total)),
    row('  = x (C fd walk + sock_diag dump)', (s) => ratio(s.collection.median, s.floor.diagTotal)),
    row('  its CPU, every thread (dump and walk at once)', (s) => ms(s.collection.cpuMedian)),
    row('  = x (C fd walk + sock_diag dump)', (s) => ratio(s.collection.cpuMedian, s.floor.diagTotal)),
    row('sockeye collection, text source (worker)', (s) => ms(s.worker.median)),
    row('  µs per fd (default mode, whole collection)', (s) => usPer(s.collection.median, s.fds)),
    row('  µs per fd (fd collector alone)', (s) => usPer(s.collection.collectors.fd ?? NaN, s.fds)),
    row('  µs per namespace socket (sockets collector)', (s) => usPer(s.collection.collectors.sockets ?? NaN, s.sockets)),
    ...collectorNames(r).map((name) => row(`  collector ${name} (its own timing)`, (s) => ms(s.collection.collectors[name] ?? NaN))),
    row('event-loop max delay, default mode', (s) => ms(s.collection.loopDelayMax)),
    row('event-loop max delay, text source (worker)', (s) => ms(s.worker.loopDelayMax)),
    row('  same time idle (machine noise)', (s) => ms(s.collection.loopDelayIdleMax)),
    row('  same time, a worker only spinning', (s) => ms(s.collection.loopDelayBusyMax)),
    row('sockeye /metrics over HTTP', (s) => (s.http ? ms(s.http.median) : 'n/a')),
    row('  /readyz worst latency meanwhile', (s) => (s.http ? ms(s.http.readyzMax) : 'n/a')),
    row('  sockeye RSS before the first scrape', (s) => (s.http ? mib(s.http.rssBefore) : 'n/a')),
    row('  sockeye RSS after the scrapes', (s) => (s.http ? mib(s.http.rss) : 'n/a')),
    row('  of which anonymous (RssAnon)', (s) => (s.http ? mib(s.http.rssAnon) : 'n/a')),
    row('  sockeye RSS 10 s later, idle', (s) => (s.http ? mib(s.http.rssSettled) : 'n/a')),
    row('open-fd count: stat() (sockeye)', (s) => ms(s.statCount.median)),
    row('open-fd count: stat() (C)', (s) => ms(s.floor.stat)),
    row('process-exporter scrape', (s) => peerText(peer(s, 'process-exporter'))),
    row('lsof -p PID', (s) => peerText(peer(s, 'lsof -p PID'))),
    row('ls -f /proc/PID/fd | wc -l', (s) => peerText(peer(s, 'ls -f /proc/PID/fd | wc -l'))),
  ];
  for (const p of r.namespacePeers) body.push([`${p.name} (namespace-wide)`, ...r.sizes.map(() => peerText(p))]);
  return { header, body };
}

function collectorNames(r: Results): string[] {
  return [...new Set(r.sizes.flatMap((s) => Object.keys(s.collection.collectors)))];
}

function summaries(r: Results): string[] {
  const out: string[] = [];
  for (const s of r.sizes) {
    const pe = peer(s, 'process-exporter');
    const ssp = r.namespacePeers.find((p) => p.name === 'ss -tanp');
    out.push(
      `collection@${s.fds}fds: ${ms(s.collection.median)} = ${ratio(s.collection.median, s.floor.total)} floor (${ms(s.floor.total)}), ` +
        `${ratio(s.collection.median, s.floor.diagTotal)} the C fd walk + sock_diag dump (${ms(s.floor.diagTotal)}); ${s.collection.mode}; text source ${ms(s.worker.median)}; ` +
        `lsof ${peerText(peer(s, 'lsof -p PID'))}; process-exporter ${peerText(pe)}; ss -tanp ${peerText(ssp)}; ` +
        `${usPer(s.collection.median, s.fds)}/fd, ${usPer(s.collection.median, s.sockets)}/socket`,
    );
  }
  for (const s of r.sizes) {
    const pe = peer(s, 'process-exporter');
    out.push(
      `fd-count@${s.fds}fds: stat() ${ms(s.statCount.median)} (reads ${s.statCount.count ?? 'nothing: kernel reports 0, readdir fallback'}) = ` +
        `${pe?.ms !== undefined ? `${sig(pe.ms / s.statCount.median)}x faster than` : 'vs'} process-exporter's scrape (${peerText(pe)}); ls -f | wc -l ${peerText(peer(s, 'ls -f /proc/PID/fd | wc -l'))}`,
    );
  }
  for (const s of r.sizes) {
    out.push(
      `event-loop@${s.fds}fds: worst delay ${ms(s.collection.loopDelayMax)} during a collection in the default mode, ${s.collection.mode} (text source: ${ms(s.worker.loopDelayMax)}; idle for as long: ${ms(s.collection.loopDelayIdleMax)}; a worker only spinning as long: ${ms(s.collection.loopDelayBusyMax)})` +
        (s.http ? `; /readyz worst ${ms(s.http.readyzMax)} (median ${ms(s.http.readyzMedian)}) while a real sockeye was scraped` : ''),
    );
  }
  for (const s of r.sizes) {
    if (s.http) out.push(`scrape@${s.fds}fds: ${ms(s.http.median)} over HTTP (${s.http.bytes} bytes, open_fds ${s.http.openFds ?? 'missing'}); sockeye RSS ${mib(s.http.rss)} right after back-to-back scrapes with /readyz polled every 5 ms (${mib(s.http.rssBefore)} before the first scrape, ${mib(s.http.rssSettled)} 10 s later)`);
  }
  const c = r.concurrent;
  if (c) out.push(`concurrent@${r.sizes.at(-1)?.fds}fds: ${c.scrapers} scrapers × ${c.rounds} rounds: p99 ${ms(c.p99)} = ${ratio(c.p99, c.single)} the single-scrape median (${ms(c.single)}); median ${ms(c.median)}, max ${ms(c.max)}, ${c.failures} failed`);
  const k = r.soak;
  if (k) {
    const growth = (k.lastMedian - k.firstMedian) / k.firstMedian;
    out.push(
      `memory@${r.sizes.at(-1)?.fds}fds: ${k.scrapes} scrapes over ${k.seconds} s: RSS first ${k.windowSeconds} s median ${mib(k.firstMedian)} (max ${mib(k.firstMax)}), ` +
        `last ${k.windowSeconds} s median ${mib(k.lastMedian)} (max ${mib(k.lastMax)}): ${growth >= 0 ? '+' : ''}${sig(growth * 100)}%; ${k.failures} failed`,
    );
  }
  const ch = r.checks;
  if (ch) {
    const half = (h: CheckHalf, what: string) =>
      `checks ${what}: ${ch.checks} http checks every 1 s for ${sig(h.seconds)} s: start jitter p99 ${ms(h.jitterP99)} (max ${ms(h.jitterMax)}); ` +
      `start after its due time (its phase) p99 ${ms(h.latenessP99)} (median ${ms(h.latenessMedian)}); runs seen ${h.runsSeen}/${h.runsExpected}, counted by sockeye ${h.runsCounted}, overruns ${h.overruns}; sockeye CPU ${sig(h.cpuPercent)}% of a core`;
    out.push(half(ch.quiet, 'alone'));
    out.push(`checks: the C check server read requests ${ms(ch.serverDelayP99)} (p99; max ${ms(ch.serverDelayMax)}) after the kernel received them: its own delay in the arrival stamps`);
    out.push(`${half(ch.scraped, `+ a scrape of ${r.sizes.at(-1)?.fds} fds each second`)}; ${ch.passing}/${ch.checks} passing; RSS ${mib(ch.rss)}`);
  }
  return out;
}

function targets(r: Results): TargetLine[] {
  const big = r.sizes.reduce<SizeResults | undefined>((a, b) => (a === undefined || b.fds > a.fds ? b : a), undefined);
  const out: TargetLine[] = [];
  if (!big) return out;
  const floorRatio = big.collection.median / big.floor.total;
  out.push({ verdict: verdict(floorRatio <= 1.3), text: `issue 6: full collection at ${big.fds} fds ≤ 1.3x the floor: ${sig(floorRatio)}x (${ms(big.collection.median)} vs ${ms(big.floor.total)})` });
  const diagRatio = big.collection.median / big.floor.diagTotal;
  out.push({
    verdict: verdict(big.floor.diagSockets < 0 ? undefined : diagRatio <= 1.2),
    text: `issue 13: default-mode collection at ${big.fds} fds within 1.2x the C program doing its system calls (fd walk + sock_diag dump): ${sig(diagRatio)}x (${ms(big.collection.median)} vs ${ms(big.floor.diagTotal)}; CPU ${ms(big.collection.cpuMedian)})`,
  });

  // Linear: what the fd collector costs per fd, and the sockets collector per
  // socket in the namespace, stays within 1.5x across the sizes (sockeye's own
  // per-collector timings, so the two costs are told apart).
  const perFd = r.sizes.map((s) => ((s.collection.collectors.fd ?? NaN) * 1000) / s.fds);
  const perSocket = r.sizes.map((s) => ((s.collection.collectors.sockets ?? NaN) * 1000) / s.sockets);
  const fdSpread = spread(perFd);
  const socketSpread = spread(perSocket);
  out.push({
    verdict: verdict(fdSpread === undefined || socketSpread === undefined ? undefined : fdSpread <= 1.5 && socketSpread <= 1.5),
    text:
      `issue 6: cost linear (per-fd cost of the fd collector and per-socket cost of the sockets collector within 1.5x across sizes): ` +
      `${perFd.map((x) => `${sig(x)}`).join(', ')} µs/fd; ${perSocket.map((x) => `${sig(x)}`).join(', ')} µs/socket at ${r.sizes.map((s) => `${s.fds} fds/${s.sockets} sockets`).join(', ')}`,
  });

  const pe = peer(big, 'process-exporter');
  const speedup = pe?.ms !== undefined ? pe.ms / big.statCount.median : undefined;
  out.push({ verdict: verdict(speedup === undefined ? undefined : speedup >= 10), text: `issue 6: open-fd count ≥ 10x faster than process-exporter's scrape: ${speedup === undefined ? 'process-exporter not measured' : `${sig(speedup)}x`}` });

  out.push({ verdict: verdict(big.collection.loopDelayMax < 20), text: `issue 6: event loop never blocked ≥ 20 ms by a ${big.fds}-fd collection (default mode): worst ${ms(big.collection.loopDelayMax)}` });

  const c = r.concurrent;
  out.push({ verdict: verdict(c ? c.p99 <= 1.5 * c.single && c.failures === 0 : undefined), text: `issue 6: ${c?.scrapers ?? 50} concurrent scrapers p99 ≤ 1.5x single-scrape median: ${c ? `${ratio(c.p99, c.single)}${c.failures ? `, ${c.failures} failed` : ''}` : 'not run'}` });

  const rss = Math.max(big.http?.rss ?? NaN, r.soak?.lastMax ?? NaN);
  const rssKnown = Number.isFinite(rss) ? rss : (big.http?.rss ?? r.soak?.lastMax);
  out.push({ verdict: verdict(rssKnown === undefined ? undefined : rssKnown < 80 * 2 ** 20), text: `issue 6: RSS under 80 MB at ${big.fds} fds: ${rssKnown === undefined ? 'not measured' : mib(rssKnown)}` });

  const k = r.soak;
  const growth = k ? (k.lastMedian - k.firstMedian) / k.firstMedian : undefined;
  out.push({
    verdict: verdict(growth === undefined ? undefined : growth <= GROWTH_TOLERANCE && k!.failures === 0),
    text: `issue 6: no RSS growth over ${k?.seconds ?? 300} s of one scrape a second (last window median within ${GROWTH_TOLERANCE * 100}% of the first): ${growth === undefined ? 'not run' : `${mib(k!.firstMedian)} → ${mib(k!.lastMedian)}`}${k && k.seconds < 300 ? ' (short run: 300 s is the target)' : ''}`,
  });

  const ch = r.checks;
  const halfOk = (h: CheckHalf) => h.jitterP99 < 50 && h.runsSeen >= 0.95 * h.runsExpected;
  const halfText = (h: CheckHalf) => `${ms(h.jitterP99)}, ${h.runsSeen}/${h.runsExpected} runs, CPU ${sig(h.cpuPercent)}%`;
  out.push({
    verdict: verdict(ch ? halfOk(ch.quiet) && halfOk(ch.scraped) : undefined),
    text: `issue 6: ${ch?.checks ?? 500} checks/s, start-time jitter p99 under 50 ms (and ≥ 95% of runs seen), alone and while scraped: ${ch ? `alone ${halfText(ch.quiet)}; scraped ${halfText(ch.scraped)}` : 'not run'}`,
  });

  out.push({ verdict: verdict(big.collection.median < 400), text: `issue 2: full collection at ${big.fds} fds under 400 ms: ${ms(big.collection.median)}` });
  out.push({ verdict: verdict(rssKnown === undefined ? undefined : rssKnown < 120 * 2 ** 20), text: `issue 2: RSS under 120 MB: ${rssKnown === undefined ? 'not measured' : mib(rssKnown)}` });
  return out;
}

function skippedPeers(r: Results): string[] {
  const all = [...r.sizes.flatMap((s) => s.peers), ...r.namespacePeers];
  const seen = new Set<string>();
  return all.filter((p) => p.skipped && !seen.has(p.name) && seen.add(p.name)).map((p) => `skipped ${p.name}: ${p.skipped}`);
}

export function render(r: Results): { text: string; markdown: string } {
  const table = rows(r);
  const sum = summaries(r);
  const goals = targets(r);
  const goalLine = (g: TargetLine) => `[${g.verdict}] ${g.text}`;
  const load = loadAverage(r.load);
  const head = `sockeye bench, ${r.when} — ${r.machine}; ${load}\n${r.namespaceSockets} TCP sockets in the namespace after the fixtures started; medians of ${r.reps} runs after warm-up`;
  const text = [head, '', textTable(table), '', ...skippedPeers(r), ...sum, '', 'targets:', ...goals.map(goalLine), ''].join('\n');
  const markdown = [
    `Run of \`${r.command}\` on ${r.when.slice(0, 10)}: ${r.machine}; ${load}. ${r.namespaceSockets} TCP sockets in the network namespace after the fixtures started; medians of ${r.reps} runs after warm-up.`,
    '',
    markdownTable(table),
    '',
    '```',
    ...skippedPeers(r),
    ...sum,
    '```',
    '',
    ...goals.map((g) => `- **${g.verdict}** ${g.text}`),
    '',
  ].join('\n');
  return { text, markdown };
}
