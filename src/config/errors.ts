import type { z } from 'zod';

/**
 * A configuration that cannot be used: one line per problem, each starting
 * with the key path (or the YAML line/column) it is about. The CLI prints the
 * message as is, with no stack trace, and exits 2.
 */
export class ConfigError extends Error {
  constructor(
    readonly problems: string[],
    readonly source = 'config',
    readonly headline = 'invalid configuration',
  ) {
    super(`${source}: ${headline}${problems.map((p) => `\n  ${p}`).join('')}`);
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

/** How a person would name the value they wrote. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `the string ${JSON.stringify(value)}`;
  return String(value);
}

const EXPECTED: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
};

interface SchemaNode {
  _zod: { def: { type: string; shape?: Record<string, SchemaNode>; element?: SchemaNode; innerType?: SchemaNode; in?: SchemaNode; options?: SchemaNode[] } };
}

// Follows an issue path through the schema to the object it points at, so an
// unknown key can be answered with the keys that are allowed there.
function objectAt(schema: SchemaNode | undefined, path: ReadonlyArray<PropertyKey>): Record<string, SchemaNode> | undefined {
  let node = schema;
  let i = 0;
  while (node) {
    const def = node._zod.def;
    if (def.innerType) node = def.innerType;
    else if (def.type === 'pipe') node = def.in;
    // A union (tls: true or a mapping): the option that has an object there.
    else if (def.type === 'union') return def.options?.map((o) => objectAt(o, path.slice(i))).find((shape) => shape !== undefined);
    else if (i === path.length) return def.type === 'object' ? def.shape : undefined;
    else if (def.type === 'object') node = def.shape?.[String(path[i++])];
    else if (def.type === 'array' && typeof path[i] === 'number') {
      node = def.element;
      i++;
    } else return undefined;
  }
  return undefined;
}

// Optimal string alignment distance: a swapped pair ("mxa" → "max") is one edit.
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/** The allowed key a typo most likely meant, if one is close: same letters in another case, an abbreviation, or a small edit. */
export function closest(key: string, allowed: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  const same = allowed.find((c) => c.toLowerCase() === lower);
  if (same) return same;
  if (lower.length >= 3) {
    const longer = allowed.find((c) => c.toLowerCase().startsWith(lower));
    if (longer) return longer;
  }
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const d = editDistance(lower, candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length / 3)) ? best : undefined;
}

function unknownKey(key: string, allowed: string[] | undefined): string {
  if (!allowed) return 'unknown key';
  const guess = closest(key, allowed);
  return `unknown key${guess ? `, did you mean "${guess}"?` : ''} (allowed: ${allowed.join(', ')})`;
}

// Values under these keys are secrets: an error line (logs, CI output) never repeats them.
const SECRET = /token|password|secret|authorization|api[-_]?key/i;

// zod's stock messages ("Invalid input: expected object, received null") are
// replaced by our own words; messages we wrote in the schema are kept.
const STOCK = /^Invalid input: expected (\w+)/;

export interface ConfigProblem {
  /** Where in the config; the first line of text names it too. */
  path: PropertyKey[];
  text: string;
}

/** One problem per issue (per key for unknown keys): `path: what was expected, got what`. */
export function describeIssues(issues: ReadonlyArray<z.core.$ZodIssue>, schema?: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of issues) {
    if (issue.code === 'unrecognized_keys') {
      const shape = objectAt(schema as SchemaNode | undefined, issue.path);
      for (const key of issue.keys) {
        const path = [...issue.path, key];
        out.push({ path, text: `${formatPath(path)}: ${unknownKey(key, shape ? Object.keys(shape) : undefined)}` });
      }
      continue;
    }
    const path = [...issue.path];
    const where = formatPath(path);
    const input = (issue as { input?: unknown }).input;
    const stock = STOCK.exec(issue.message);
    const expected = stock ? `expected ${EXPECTED[stock[1]!] ?? stock[1]}` : issue.message;
    if (issue.code === 'invalid_type' && input === undefined) {
      out.push({ path, text: `${where}: missing required key (${expected})` });
    } else if (issue.code === 'custom' || input === undefined || /, got /.test(expected)) {
      // Custom checks already say what they saw, or are about the whole mapping.
      out.push({ path, text: `${where}: ${expected}` });
    } else {
      const hide = SECRET.test(String(path.at(-1) ?? '')) && (typeof input === 'string' || typeof input === 'number');
      const got = hide ? `a ${typeof input} (not shown)` : describe(input);
      out.push({ path, text: `${where}: ${expected}, got ${got}` });
    }
  }
  return out;
}

export function formatIssues(issues: ReadonlyArray<z.core.$ZodIssue>, schema?: unknown): string[] {
  return describeIssues(issues, schema).map((p) => p.text);
}
