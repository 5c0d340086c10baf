// Secrets in argv happen (--password=..., mysql -u x --password y,
// postgres://user:pass@host): a stored snapshot never keeps them. Only the
// stored snapshot's command lines are redacted; metrics never carry a
// command line at all.

export const REDACTED = '***';

/** The configured patterns (snapshots.redact), compiled once per config. */
export function compileRedaction(patterns: readonly string[]): RegExp[] {
  return patterns.map((p) => new RegExp(p, 'i'));
}

/**
 * argv (joined by spaces, as /proc/PID/cmdline is shown) with each argument
 * matching a pattern redacted: the value after the first "=" when it has
 * one, else the next argument after a flag ("-..."), else the whole argument.
 */
export function redactCmdline(cmdline: string, patterns: readonly RegExp[]): string {
  if (patterns.length === 0 || cmdline === '') return cmdline;
  const args = cmdline.split(' ');
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!patterns.some((p) => p.test(arg))) continue;
    const eq = arg.indexOf('=');
    if (eq > 0) args[i] = `${arg.slice(0, eq + 1)}${REDACTED}`;
    else if (!arg.startsWith('-')) args[i] = REDACTED;
    else if (i + 1 < args.length) args[++i] = REDACTED;
  }
  return args.join(' ');
}
