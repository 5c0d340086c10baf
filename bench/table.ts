// The report pieces both benchmarks print (bench/report.ts, bench/node/report.ts):
// a table as aligned text and as markdown, a goal's verdict, the run's load. Pure.
import { sig } from './stats.js';

/** Rows of cells under a header; the first column names the figure, the others are right-aligned values. */
export interface Table {
  header: string[];
  body: string[][];
}

export function textTable({ header, body }: Table): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

/** Indented row names (a figure under the one above) become "↳ name". */
export function markdownTable({ header, body }: Table): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${header.map(esc).join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`,
    ...body.map((b) => `| ${b.map((c) => esc(c.trimStart() === c ? c : `↳ ${c.trim()}`)).join(' | ')} |`),
  ].join('\n');
}

export type Verdict = 'MET' | 'NOT MET' | 'n/a';

/** undefined: the goal was not measured in this run. */
export const verdict = (ok: boolean | undefined): Verdict => (ok === undefined ? 'n/a' : ok ? 'MET' : 'NOT MET');

/** The 1-minute load average at the start and the end of the run, for the report's head. */
export const loadAverage = (load: readonly [number, number]) => `load average ${sig(load[0])} at the start, ${sig(load[1])} at the end`;
