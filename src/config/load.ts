import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { ConfigError, formatIssues, formatPath } from './errors.js';
import { configSchema, type Config } from './schema.js';

export type Env = Record<string, string | undefined>;

// ${VAR} or ${VAR:-fallback}; $${ is a literal "${". Interpolation happens on
// parsed string values, never on the YAML text, so a variable can't inject
// structure.
const VAR = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

function interpolate(value: unknown, env: Env, path: PropertyKey[], problems: string[]): unknown {
  if (typeof value === 'string') {
    return value.replace(VAR, (whole, name: string | undefined, fallback: string | undefined) => {
      if (name === undefined) return '${';
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      problems.push(`${formatPath(path)}: environment variable ${name} is not set`);
      return whole;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, i], problems));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, [...path, k], problems)]));
  }
  return value;
}

/** Parses and validates config text. Throws ConfigError listing every problem. */
export function parseConfig(text: string, options: { env?: Env; source?: string } = {}): Config {
  const source = options.source ?? 'config';
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      doc.errors.map((e) => {
        const pos = e.linePos?.[0];
        return `${pos ? `line ${pos.line}, column ${pos.col}` : '(yaml)'}: ${e.message.split('\n')[0]}`;
      }),
      source,
    );
  }
  const raw: unknown = doc.toJS({ maxAliasCount: 100 }) ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([`(root): expected a mapping of settings, got ${Array.isArray(raw) ? 'a list' : typeof raw}`], source);
  }
  const problems: string[] = [];
  const expanded = interpolate(raw, options.env ?? process.env, [], problems);
  if (problems.length > 0) throw new ConfigError(problems, source);
  const result = configSchema.safeParse(expanded, { reportInput: true });
  if (!result.success) throw new ConfigError(formatIssues(result.error.issues), source);
  return result.data;
}

export async function loadConfig(file: string, env: Env = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory, expected a file' : e.message;
    throw new ConfigError([`cannot read config file: ${why}`], file);
  }
  return parseConfig(text, { env, source: file });
}

/** The built-in default: no file, every visible process grouped by comm. */
export function defaultConfig(): Config {
  return configSchema.parse({});
}
