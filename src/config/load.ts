import { readFile } from 'node:fs/promises';
import { isNode, parseDocument, type Document, type YAMLError } from 'yaml';
import { ConfigError, describe, describeIssues, formatPath, type Problem } from './errors.js';
import { configSchema, type Config } from './schema.js';

export type Env = Record<string, string | undefined>;

// ${VAR} (must be set), ${VAR:-fallback} (fallback when unset or empty);
// $${ is a literal "${". Interpolation happens on parsed string values, never
// on the YAML text, so a variable can't inject structure.
const VAR = /\$\$\{|\$\{(?:([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\})?/g;

/** Expands ${...} in one string; problems are reported under `where`. */
export function interpolateString(text: string, env: Env, where: string, problems: string[]): string {
  return text.replace(VAR, (whole, name: string | undefined, fallback: string | undefined) => {
    if (whole === '$${') return '${';
    if (name === undefined) {
      problems.push(`${where}: expected \${NAME} or \${NAME:-default} after "\${" (write $\${ for a literal "\${")`);
      return whole;
    }
    const value = env[name];
    if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
    if (value !== undefined) return value;
    problems.push(`${where}: environment variable ${name} is not set (use \${${name}:-default} for a fallback)`);
    return whole;
  });
}

function interpolate(value: unknown, env: Env, path: PropertyKey[], problems: string[]): unknown {
  if (typeof value === 'string') return interpolateString(value, env, formatPath(path), problems);
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, i], problems));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, [...path, k], problems)]));
  }
  return value;
}

function yamlProblem(e: YAMLError, text: string): string {
  const pos = e.linePos?.[0];
  const where = pos ? `line ${pos.line}, column ${pos.col}` : '(yaml)';
  if (e.code === 'DUPLICATE_KEY') {
    const key = /^[^:\n]*/.exec(text.slice(e.pos[0]))![0].trim();
    return `${where}: duplicate key ${JSON.stringify(key)}`;
  }
  // prettyErrors appends " at line L, column C:" and a code excerpt; we lead with the position instead.
  const message = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  return `${where}: ${message}`;
}

// zod reports a mapping's unknown keys after its fields; a person reads the
// file top to bottom, so problems are listed in the order of their place in it
// (a missing key at the place of its parent).
function inFileOrder(doc: Document, problems: Problem[]): string[] {
  const offset = (path: PropertyKey[]): number => {
    for (let n = path.length; n >= 0; n--) {
      const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as unknown[], true);
      if (isNode(node) && node.range) return node.range[0];
    }
    return 0;
  };
  return problems
    .map((p, i) => ({ text: p.text, at: offset(p.path), i }))
    .sort((a, b) => a.at - b.at || a.i - b.i)
    .map((p) => p.text);
}

/** Parses and validates config text. Throws ConfigError listing every problem. */
export function parseConfig(text: string, options: { env?: Env; source?: string } = {}): Config {
  const source = options.source ?? 'config';
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(doc.errors.map((e) => yamlProblem(e, text)), source);
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (err) {
    // Only alias expansion can fail here (a "billion laughs" document).
    throw new ConfigError([`(yaml): ${(err as Error).message}`], source);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ConfigError([`(root): expected a mapping of settings, got ${describe(raw)}`], source);
  }
  const problems: string[] = [];
  const expanded = interpolate(raw, options.env ?? process.env, [], problems);
  if (problems.length > 0) throw new ConfigError(problems, source);
  const result = configSchema.safeParse(expanded, { reportInput: true });
  if (!result.success) throw new ConfigError(inFileOrder(doc, describeIssues(result.error.issues, configSchema)), source);
  return result.data;
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'a parent of it is not a directory',
  ELOOP: 'too many levels of symbolic links',
};

export async function loadConfig(file: string, env: Env = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new ConfigError([], file, `cannot read config file: ${(e.code && READ_ERRORS[e.code]) ?? e.message}`);
  }
  return parseConfig(text, { env, source: file });
}

/** The built-in default: no file, every visible process grouped by comm. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
