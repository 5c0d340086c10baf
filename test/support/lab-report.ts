/**
 * The incident lab's results table (fault, alert, time from fault to
 * delivery, the incident snapshot it left), written into docs/incident-lab.md between two markers when
 * SOCKEYE_LAB_WRITE_DOCS=1, so a normal test run never dirties the tree.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './sockeye.js';

export interface LabRow {
  fault: string;
  alert: string;
  /** The labels that identify it, e.g. "target=close-wait". */
  labels: string;
  /** Seconds from switching the fault on to the delivery at the receiver. */
  seconds: number;
  /** Seconds from the fault to the alert's condition first holding (its startsAt), when known. */
  conditionSeconds?: number;
  /** The bound the test enforces, as a person reads it ("≤ 60 s"). */
  bound: string;
  note?: string;
  /** The incident snapshot it left: its reason and what it names. */
  snapshot?: string;
}

export const LAB_DOC = join(REPO_ROOT, 'docs', 'incident-lab.md');
const START = '<!-- lab-results:start -->';
const END = '<!-- lab-results:end -->';

export function formatLabTable(rows: LabRow[], when = new Date()): string {
  const lines = [
    `Measured ${when.toISOString().slice(0, 16).replace('T', ' ')} UTC by \`SOCKEYE_LAB_WRITE_DOCS=1 npx vitest run test/e2e/incident-lab.test.ts\` (scrape and evaluation every 1s, shipped rules with \`for:\` ÷ 60).`,
    '',
    '| fault | alert | labels | condition holds | delivered | bound | snapshot it left |',
    '|---|---|---|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.fault} | ${r.alert} | \`${r.labels}\` | ${r.conditionSeconds === undefined ? '' : `${r.conditionSeconds.toFixed(1)} s`} | ${r.note ?? `${r.seconds.toFixed(1)} s`} | ${r.bound} | ${r.snapshot ?? ''} |`),
  ];
  return lines.join('\n');
}

export function writeLabTable(rows: LabRow[], file = LAB_DOC): void {
  const text = readFileSync(file, 'utf8');
  const a = text.indexOf(START);
  const b = text.indexOf(END);
  if (a < 0 || b < a) throw new Error(`${file}: markers ${START} … ${END} not found`);
  writeFileSync(file, `${text.slice(0, a + START.length)}\n${formatLabTable(rows)}\n${text.slice(b)}`);
}
