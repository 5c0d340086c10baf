import { OTHER } from '../collectors/snapshot.js';
import { MEMORY_NOISE_BYTES, signed } from '../deltas.js';
import { THRESHOLDS, formatAge } from '../status/assemble.js';
import type { TargetDiff } from './diff.js';
import type { InspectReport, InspectTarget } from './report.js';
import type { Style } from './style.js';

// The report as a person reads it in a terminal: one block per target,
// bars for "how close to the limit", and with --watch the change since the
// previous refresh next to each number that moved.

export interface TextOptions {
  style: Style;
  /** Changes since the previous report, by target name (watch mode). */
  diff?: Map<string, TargetDiff>;
  /** How many paths, peers and processes to list. */
  top?: number;
  nowMs?: number;
}

const BAR_WIDTH = 24;
const LABEL = 10;

// File names, command lines and comm are chosen by whoever runs the
// process: a newline or an escape sequence in one must not redraw the
// operator's terminal. Control characters are shown escaped.
const CONTROL = /[\x00-\x1f\x7f-\x9f]/g;
export function clean(text: string): string {
  return text.replace(CONTROL, (c) => (c === '\n' ? '\\n' : c === '\t' ? '\\t' : `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`));
}

const num = (n: number | null | undefined) => (n === null || n === undefined ? '?' : n.toLocaleString('en-US'));

export function formatBytes(n: number | null): string {
  if (n === null) return '?';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(n < 10 ? 1 : 0)} ${units[i]}`;
}

function severityOfRatio(r: number | null): string {
  return r === null ? 'unknown' : r >= THRESHOLDS.fdCriticalRatio ? 'critical' : r >= THRESHOLDS.fdWarningRatio ? 'warning' : 'ok';
}

/** [#####-----] in plain text, block characters in colour. */
export function bar(ratio: number | null, style: Style): string {
  const r = ratio === null ? 0 : Math.max(0, Math.min(1, ratio));
  const full = Math.round(r * BAR_WIDTH);
  if (!style.enabled) return `[${'#'.repeat(full)}${'-'.repeat(BAR_WIDTH - full)}]`;
  return style.severity(severityOfRatio(ratio), '█'.repeat(full)) + style.dim('░'.repeat(BAR_WIDTH - full));
}

function change(n: number | undefined, style: Style): string {
  if (!n) return '';
  // Growth is what leaks look like: it gets the attention colour.
  return ' ' + (n > 0 ? style.yellow(`(${signed(n)})`) : style.green(`(${signed(n)})`));
}

const line = (label: string, text: string) => `  ${label.padEnd(LABEL)}${text}`;
const pct = (r: number | null) => (r === null ? '' : ` ${Math.round(r * 100)}%`);

function since(iso: string | null, nowMs: number): string {
  return iso === null ? '?' : `${formatAge(Math.max(0, (nowMs - Date.parse(iso)) / 1000))} ago`;
}

/**
 * What a list left out past its top rows: how many, holding how much. A live
 * collection's list ends in an "other" row summing an unknown number of them.
 */
function more(rest: Array<{ count: number; name?: string; peer?: string }>, what: string, of: string, style: Style): string[] {
  if (rest.length === 0) return [];
  const total = num(rest.reduce((a, r) => a + r.count, 0));
  const folded = rest.some((r) => (r.name ?? r.peer) === OTHER);
  return [style.dim(folded ? `    … more ${what}, ${total} ${of}` : `    … ${num(rest.length)} more ${what}, ${total} ${of}`)];
}

function renderTarget(t: InspectTarget, o: Required<Omit<TextOptions, 'diff'>> & { diff?: TargetDiff }): string[] {
  const { style, diff: d, top, nowMs } = o;
  const out: string[] = [];
  const sev = t.severity === 'ok' ? 'OK' : t.severity.toUpperCase();
  const pids = t.pids.length ? ` (pid ${t.pids.slice(0, 10).join(', ')}${t.pids.length > 10 ? ', …' : ''})` : '';
  out.push(`${style.bold(clean(t.name))}  ${style.severity(t.severity, sev)}  ${t.processes} process${t.processes === 1 ? '' : 'es'}${pids}${change(d?.processes, style)}`);
  if (d && (d.started.length || d.exited.length)) {
    out.push(style.yellow(`  ${[...d.started.map((p) => `pid ${p} started`), ...d.exited.map((p) => `pid ${p} exited`)].join(', ')}`));
  }
  for (const r of t.reasons) out.push(style.severity(t.severity, `  ! ${r}`));
  for (const p of t.problems) out.push(style.yellow(`  ! ${clean(p)}`));
  if (t.processes === 0) return out;

  // RLIMIT_NOFILE is per process: with several, the bar is the fullest process, not the total.
  const fds =
    t.processes > 1
      ? `${num(t.openFds)}${change(d?.fds, style)} in ${t.processes} processes, fullest at${pct(t.fdUsageRatio) || ' ?'} of its limit (lowest limit ${num(t.maxFds)})`
      : `${num(t.openFds)} / ${num(t.maxFds)}${pct(t.fdUsageRatio)}${change(d?.fds, style)}`;
  out.push(line('fds', `${bar(t.fdUsageRatio, style)} ${fds}`));
  const memRatio = t.memoryLimitBytes && t.residentMemoryBytes !== null ? t.residentMemoryBytes / t.memoryLimitBytes : null;
  const rssChange = d && Math.abs(d.residentMemoryBytes) >= MEMORY_NOISE_BYTES ? ` ${style.yellow(`(${d.residentMemoryBytes > 0 ? '+' : '-'}${formatBytes(Math.abs(d.residentMemoryBytes))})`)}` : '';
  out.push(
    line(
      'memory',
      memRatio === null
        ? `${formatBytes(t.residentMemoryBytes)} RSS, no cgroup limit${rssChange}`
        : `${bar(memRatio, style)} ${formatBytes(t.residentMemoryBytes)} / ${formatBytes(t.memoryLimitBytes)}${pct(memRatio)}${rssChange}`,
    ),
  );
  out.push(line('threads', `${num(t.threads)}${change(d?.threads, style)}   started ${since(t.startedAt, nowMs)}`));
  if (t.fdsByType.length) out.push(line('fd types', t.fdsByType.map((f) => `${f.name} ${num(f.count)}`).join(' · ')));
  if (t.sockets.length) {
    const parts = t.sockets.map((s) => {
      const text = `${s.protocol} ${s.state.toUpperCase()} ${num(s.count)}${change(d?.sockets.get(`${s.protocol} ${s.state}`), style)}`;
      return s.state === 'close_wait' ? style.yellow(text) : text;
    });
    // States that went to zero still deserve a word in watch mode.
    for (const [k, n] of d?.sockets ?? []) {
      if (!t.sockets.some((s) => `${s.protocol} ${s.state}` === k)) parts.push(`${k.replace(/ (\S+)$/, (_m, st: string) => ` ${st.toUpperCase()}`)} 0${change(n, style)}`);
    }
    out.push(line('sockets', parts.join(' · ')));
  }
  // Only a watch (or a scraping sockeye) sees a socket more than once: a first look says 0.
  if (t.closeWaitOldestSeconds !== null && t.closeWaitOldestSeconds > 0) out.push(line('oldest', style.yellow(`CLOSE_WAIT for ${formatAge(t.closeWaitOldestSeconds)}`)));
  if (t.topPaths.length) {
    out.push('  top paths');
    for (const p of t.topPaths.slice(0, top)) out.push(`    ${num(p.count).padStart(8)}  ${clean(p.name)}${change(d?.paths.get(p.name), style)}`);
    out.push(...more(t.topPaths.slice(top), 'paths', 'handles', style));
  }
  if (t.topPeers.length) {
    out.push('  top peers');
    for (const p of t.topPeers.slice(0, top)) {
      const states = p.states.map((s) => `${s.name.toUpperCase()} ${num(s.count)}`).join(', ');
      out.push(`    ${num(p.count).padStart(8)}  ${p.peer.padEnd(16)} ${style.dim(states)}${change(d?.peers.get(p.peer), style)}`);
    }
    out.push(...more(t.topPeers.slice(top), 'peers', 'sockets', style));
  }
  if (t.listen.length) {
    out.push('  listening');
    for (const l of t.listen) {
      const full = l.backlog !== null && l.backlog > 0 && l.queue >= l.backlog * THRESHOLDS.listenQueueWarningRatio;
      const text = `    port ${String(l.port).padEnd(6)} accept queue ${num(l.queue)} / ${num(l.backlog)}`;
      out.push(full ? style.yellow(text) : text);
    }
  }
  if (t.processList.length > 1 || t.auto) {
    out.push(style.dim(`  ${'PID'.padStart(8)} ${'FDS'.padStart(7)} ${'LIMIT'.padStart(8)} ${'RSS'.padStart(9)} ${'THR'.padStart(4)}  STARTED  COMMAND`));
    // Biggest fd holders first: the leaking process is the one to look at.
    const procs = [...t.processList].sort((a, b) => (b.openFds ?? -1) - (a.openFds ?? -1) || a.pid - b.pid);
    for (const p of procs.slice(0, top)) {
      const cmd = clean(p.cmdline || p.comm).slice(0, 80);
      out.push(
        `  ${String(p.pid).padStart(8)} ${num(p.openFds).padStart(7)} ${num(p.maxFds).padStart(8)} ${formatBytes(p.residentMemoryBytes).padStart(9)} ${String(p.threads).padStart(4)}  ${since(p.startedAt, nowMs).padEnd(8)} ${cmd}${p.readable ? '' : style.yellow(' (unreadable)')}`,
      );
    }
    if (t.processList.length > top) out.push(style.dim(`  … ${t.processList.length - top} more`));
  } else if (t.processList.length === 1) {
    const p = t.processList[0]!;
    out.push(line('command', clean(p.cmdline || p.comm).slice(0, 200)));
  }
  return out;
}

export function renderText(report: InspectReport, options: TextOptions): string {
  const o = { style: options.style, top: options.top ?? 10, nowMs: options.nowMs ?? Date.parse(report.generatedAt) };
  const blocks = report.targets.map((t) => renderTarget(t, { ...o, diff: options.diff?.get(t.name) }).join('\n'));
  return `${blocks.join('\n\n')}\n`;
}
