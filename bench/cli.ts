// What the benchmark commands (npm run bench, bench:node) share: reading their
// options, logging progress, and naming the run in the report.
import os from 'node:os';

/**
 * A whole-number option from `min` to `max`, `fallback` when not given; out of
 * range or not a whole number exits 2 naming the option and what was expected.
 */
export function wholeNumber(program: string, name: string, text: string | undefined, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) {
    process.stderr.write(`${program}: --${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return n;
}

/** --skip: a comma-separated subset of `parts`; anything else exits 2 naming what was expected. */
export function skipList(program: string, text: string, parts: readonly string[]): Set<string> {
  const skip = new Set(text.split(',').filter(Boolean));
  for (const s of skip) {
    if (!parts.includes(s)) {
      process.stderr.write(`${program}: --skip: expected some of ${parts.join(',')}, got ${JSON.stringify(s)}\n`);
      process.exit(2);
    }
  }
  return skip;
}

/** A progress line on stderr, stamped with the time of day. */
export const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

/** The command as the user typed it, e.g. "npm run bench -- --quick". */
export function commandLine(script: string): string {
  return `npm run ${script}${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
}

/** CPU, memory, kernel and Node of this machine, for the report's head. */
export function machine(): string {
  return `${os.cpus()[0]?.model ?? 'cpu'} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.version}`;
}
