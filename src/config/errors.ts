import type { z } from 'zod';

/** Invalid configuration: one line per problem, each naming its key path. */
export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    readonly source = 'config',
  ) {
    super(`${source}: invalid configuration\n${problems.map((p) => `  ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** targets[0].match.cmdline — the path a person would type. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return `${typeof value} ${String(value)}`;
}

export function formatIssues(issues: ReadonlyArray<z.core.$ZodIssue>): string[] {
  const out: string[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) out.push(`${formatPath([...issue.path, key])}: unknown key`);
      continue;
    }
    const where = formatPath(issue.path);
    const input = (issue as { input?: unknown }).input;
    if (issue.code === 'invalid_type' && input === undefined) {
      out.push(`${where}: required (${issue.message})`);
    } else if (issue.code === 'invalid_type' || issue.code === 'invalid_union') {
      out.push(`${where}: ${issue.message}, got ${describe(input)}`);
    } else {
      out.push(`${where}: ${issue.message}`);
    }
  }
  return out;
}
