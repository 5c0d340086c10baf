import { constants } from 'node:fs';
import { access, open, readdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { isNode, isPair, isScalar, isSeq, parse, parseDocument, visit, type Document, type YAMLError } from 'yaml';
import { ConfigError, describe, describeIssues, formatPath, type ConfigProblem } from './errors.js';
import type { z } from 'zod';
import { kubeAccess } from './node.js';
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

/**
 * Parses YAML text and validates it against `schema`. Throws ConfigError
 * listing every problem, each with its key path. `env: false` leaves ${...}
 * alone (files in another tool's format, which has no interpolation).
 */
export function parseYamlWith<S extends z.ZodType>(schema: S, text: string, options: { source: string; env: Env | false }): z.output<S> {
  const { source } = options;
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) throw new ConfigError(firstPerLine(doc.errors.map((e) => yamlProblem(e, text))), source);
  const problems: string[] = [];
  if (options.env !== false) interpolateDocument(doc, options.env, problems);
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
  const result = schema.safeParse(raw, { reportInput: true });
  if (!result.success) throw new ConfigError(inFileOrder(doc, describeIssues(result.error.issues, schema)), source);
  return result.data;
}

/** Parses and validates config text. Throws ConfigError listing every problem. */
export function parseConfig(text: string, options: { env?: Env; source?: string } = {}): Config {
  return parseYamlWith(configSchema, text, { source: options.source ?? 'config', env: options.env ?? process.env });
}

const READ_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'is a directory, expected a file',
  ENOTDIR: 'a parent of it is not a directory',
  ELOOP: 'too many levels of symbolic links',
};

/** Far above any real config (a thousand checks is ~200 KB); a bigger file is a mistake, not a config. */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** Why a file could not be read, in a person's words. */
export function readProblem(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return (e.code && READ_ERRORS[e.code]) ?? e.message;
}

/** A config file's text; ConfigError "cannot read <what>: why" when it cannot be read. */
export async function readConfigText(file: string, what = 'config file'): Promise<string> {
  const cannot = (why: string) => new ConfigError([], file, `cannot read ${what}: ${why}`);
  try {
    // Read at most one byte past the cap: a huge file is refused without loading it.
    const fh = await open(file, 'r');
    try {
      const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
      let n = 0;
      for (;;) {
        const { bytesRead } = await fh.read(buf, n, buf.length - n, null);
        if (bytesRead === 0) break;
        n += bytesRead;
        if (n > MAX_CONFIG_BYTES) throw cannot(`larger than ${MAX_CONFIG_BYTES / 1024 / 1024} MiB; a sockeye config is a few KB (is this the right file?)`);
      }
      return buf.subarray(0, n).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw cannot(readProblem(err));
  }
}

export async function loadConfig(file: string, env: Env = process.env): Promise<Config> {
  return parseConfig(await readConfigText(file), { env, source: file });
}

/**
 * What the config's paths must be for sockeye to work, checked at startup
 * and by check-config: procRoot a proc tree sockeye can read, stateDir (when
 * heartbeats need it) a directory it can write or create, the pod list's
 * defaults (node mode) in the environment. One problem per key.
 */
export async function verifyConfigPaths(config: Config, env: Env = process.env): Promise<string[]> {
  const problems: string[] = [];
  if (config.mode === 'node' && config.node.kubernetes.enabled) {
    const access = kubeAccess(config.node.kubernetes, env);
    if (Array.isArray(access)) problems.push(...access);
  }
  const proc = config.procRoot;
  try {
    const names = await readdir(proc);
    if (!names.some((n) => /^\d+$/.test(n))) problems.push(`procRoot: ${JSON.stringify(proc)} is not a proc tree (no process directories in it)`);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    problems.push(`procRoot: cannot read ${JSON.stringify(proc)}: ${readProblem(e)}`);
  }
  if (config.heartbeats.length > 0) {
    const why = await unwritableDir(resolve(config.stateDir));
    if (why) problems.push(`stateDir: ${JSON.stringify(config.stateDir)} ${why} (heartbeat state is kept there)`);
  }
  return problems;
}

/** Why dir cannot be written or created, or undefined when it can. Creates nothing. */
async function unwritableDir(dir: string): Promise<string | undefined> {
  // The nearest existing ancestor decides whether the missing part can be created.
  let at = dir;
  for (;;) {
    try {
      const st = await stat(at);
      if (!st.isDirectory()) return at === dir ? 'is not a directory' : `cannot be created: ${at} is not a directory`;
      break;
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      // ENOTDIR: a file on the way; walking up finds it and says so.
      if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') return `cannot be used: ${(e.code && READ_ERRORS[e.code]) ?? e.message}`;
      if (dirname(at) === at) return 'cannot be created';
      at = dirname(at);
    }
  }
  try {
    await access(at, constants.W_OK | constants.X_OK);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'EROFS' ? 'read-only file system' : ((e.code && READ_ERRORS[e.code]) ?? e.message);
    return at === dir ? `is not writable: ${reason}` : `cannot be created in ${at}: ${reason}`;
  }
  return undefined;
}

/** The built-in default: no file, every visible process grouped by comm. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
