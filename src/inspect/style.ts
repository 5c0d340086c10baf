// Colour for the terminal, only when it is one: piped output and NO_COLOR
// get plain text (https://no-color.org), so scripts and logs stay clean.

export interface Style {
  enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  green(s: string): string;
  /** Colour by severity. */
  severity(sev: string, s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;

export function makeStyle(enabled: boolean): Style {
  if (!enabled) {
    const id = (s: string) => s;
    return { enabled, bold: id, dim: id, red: id, yellow: id, green: id, severity: (_sev, s) => s };
  }
  const red = wrap(31, 39);
  const yellow = wrap(33, 39);
  const green = wrap(32, 39);
  const dim = wrap(2, 22);
  return {
    enabled,
    bold: wrap(1, 22),
    dim,
    red,
    yellow,
    green,
    severity: (sev, s) => (sev === 'critical' ? red(s) : sev === 'warning' ? yellow(s) : sev === 'ok' ? green(s) : dim(s)),
  };
}

/** Colour when the stream is a terminal that has colours and the environment does not say NO_COLOR. */
export function wantsColour(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (!stream.isTTY) return false;
  return typeof stream.hasColors === 'function' ? stream.hasColors(8, env) : true;
}

/** Visible width: escape sequences take no columns. */
export function visibleLength(s: string): number {
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}
