import { readFile } from 'node:fs/promises';
import { isNode, isPair, isScalar, isSeq, parse, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { ConfigError, describe, describeIssues, formatPath, type ConfigProblem } from './errors.js';
import { configSchema, type Config } from './schema.js';

export type Env = Record<string, string | undefined>;

// ${VAR} (must be set), ${VAR:-fallback} (fallback when unset or empty);
// $${ is a literal "${". Interpolation happens on parsed scalar values, never
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

/** The config key path of a node, from visit()'s ancestors: targets[0].match.comm. */
function keyPath(ancestors: readonly unknown[], node: unknown): PropertyKey[] {
  const chain = [...ancestors, node];
  const out: PropertyKey[] = [];
  for (let i = 0; i < chain.length - 1; i++) {
    const parent = chain[i];
    if (isPair(parent)) out.push(isScalar(parent.key) ? String(parent.key.value) : String(parent.key));
    else if (isSeq(parent)) out.push(parent.items.indexOf(chain[i + 1] as never));
  }
  return out;
}

const WHOLE_REFERENCE = /^\$\{[^}]*\}$/;

/**
 * Expands variables in every string value of the document (keys are left
 * alone). An unquoted value that is exactly one reference (`topN: ${TOP_N}`)
 * takes the number or boolean the variable spells, as if it had been written
 * there; anything else stays a string.
 */
function interpolateDocument(doc: Document, env: Env, problems: string[]): void {
  visit(doc, {
    Scalar(key, node, ancestors) {
      if (key === 'key' || typeof node.value !== 'string' || !node.value.includes('${')) return;
      const source = node.value;
      const value = interpolateString(source, env, formatPath(keyPath(ancestors, node)), problems);
      node.value = value;
      if (node.type === 'PLAIN' && WHOLE_REFERENCE.test(source) && value !== '') {
        try {
          const typed: unknown = parse(value);
          if (typeof typed === 'number' || typeof typed === 'boolean') node.value = typed;
        } catch {
          // not a scalar YAML would read: keep the string
        }
      }
    },
  });
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
  // In { } or [ ], YAML reads the "{" of an unquoted ${VAR} as a mapping: say so.
  const line = pos ? (text.split('\n')[pos.line - 1] ?? '') : '';
  const hint = /[[{][^"'\n]*(?<!\$)\$\{/.test(line) ? ' (quote ${…} references inside { } or [ ])' : '';
  return `${where}: ${message}${hint}`;
}

// zod reports a mapping's unknown keys after its fields; a person reads the
// file top to bottom, so problems are listed in the order of their place in it
// (a missing key at the place of its parent).
function inFileOrder(doc: Document, problems: ConfigProblem[]): string[] {
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

// One broken token often yields several errors on its line; the first says it.
function firstPerLine(problems: string[]): string[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const line = /^line \d+/.exec(p)?.[0];
    if (line === undefined) return true;
    if (seen.has(line)) return false;
    seen.add(line);
    return true;
  });
}

/** Parses and validates config text. Throws ConfigError listing every problem. */
export function parseConfig(text: string, options: { env?: Env; source?: string } = {}): Config {
  const source = options.source ?? 'config';
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(firstPerLine(doc.errors.map((e) => yamlProblem(e, text))), source);
  const problems: string[] = [];
  interpolateDocument(doc, options.env ?? process.env, problems);
  if (problems.length > 0) throw new ConfigError(problems, source);
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
  const result = configSchema.safeParse(raw, { reportInput: true });
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
