/**
 * How sockeye is launched where it ships: package.json's start script is the
 * reference (`[VAR=value ...] node [--flag ...] dist/main.js`); the Dockerfile's
 * runtime stage carries the same as ENV (NODE_OPTIONS and the variables), which
 * the compose file and the Kubernetes manifest inherit from the image.
 *
 *   parseStartScript(text) → { env, nodeFlags }   (throws on any other shape)
 *   shippedLaunch()        → the same, from the repository's package.json
 *   parseDockerEnv(text)   → the runtime (last) stage's ENV as a record
 *
 * The benchmark (bench/sockeye/server.ts) launches sockeye with shippedLaunch(),
 * so it measures what users run; test/unit/launch-flags.test.ts keeps the places equal.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Launch {
  /** Environment the process needs at start (glibc reads MALLOC_* before any JS runs). */
  env: Record<string, string>;
  /** node's own flags, before the script. */
  nodeFlags: string[];
}

export function parseStartScript(text: string): Launch {
  const words = text.trim().split(/\s+/);
  const env: Record<string, string> = {};
  let i = 0;
  for (let m: RegExpExecArray | null; i < words.length && (m = /^([A-Z_][A-Z0-9_]*)=(\S*)$/.exec(words[i]!)); i++) env[m[1]!] = m[2]!;
  if (words[i++] !== 'node') throw new Error(`start script: expected "node" after the variables, got ${JSON.stringify(text)}`);
  const nodeFlags: string[] = [];
  for (; i < words.length && words[i]!.startsWith('--'); i++) nodeFlags.push(words[i]!);
  if (words[i] !== 'dist/main.js' || i !== words.length - 1) throw new Error(`start script: expected "[VAR=value ...] node [--flag ...] dist/main.js", got ${JSON.stringify(text)}`);
  return { env, nodeFlags };
}

export function shippedLaunch(): Launch {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  return parseStartScript(pkg.scripts.start ?? '');
}

/** ENV of the Dockerfile's last stage; `ENV K=V K2="a b"` and `ENV K V` forms. */
export function parseDockerEnv(dockerfile: string): Record<string, string> {
  const stages = dockerfile.replace(/\\\n/g, ' ').split(/^FROM\s/im);
  const last = stages.at(-1) ?? '';
  const env: Record<string, string> = {};
  for (const line of last.split('\n')) {
    const m = /^ENV\s+(.*)$/i.exec(line.trim());
    if (!m) continue;
    const body = m[1]!.trim();
    const pairs = [...body.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("(?:[^"\\]|\\.)*"|\S*)/g)];
    if (pairs.length === 0) {
      const [key, ...value] = body.split(/\s+/);
      env[key!] = value.join(' ');
      continue;
    }
    for (const [, key, value] of pairs) env[key!] = value!.startsWith('"') ? (JSON.parse(value!) as string) : value!;
  }
  return env;
}
