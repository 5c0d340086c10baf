/**
 * A copy of this checkout that any uid can read, for the tests that run
 * sockeye or a test script as another user (setpriv --reuid=65534): that user
 * cannot reach a clone inside a private directory (/root, a `mktemp -d`).
 *
 *   const copy = await worldReadableCopy();
 *   spawn('setpriv', [...drop, process.execPath, join(copy, 'dist/main.js'), ...], { cwd: copy });
 *
 * worldReadableCopy() → Promise<string>: the root of a 0755 temporary
 *   directory holding what those processes load: package.json, tsconfig.json,
 *   dist/ (built first), src/, test/, the native addon, and the installed
 *   node_modules that the runtime dependencies and tsx need. Hard links when
 *   the temporary directory is on the checkout's filesystem, a copy otherwise.
 *   Made once per test file, on first use; removed after the file's tests (or
 *   when the process exits).
 * copyEntries(from, entries, to) → copies the relative paths `entries` (files
 *   or directories) of `from` into `to` at the same paths, modes and mtimes
 *   kept: hard links when `to` is on the same filesystem.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll } from 'vitest';
import { REPO_ROOT, ensureBuilt } from './sockeye.js';

const run = promisify(execFile);

type Installed = Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string> }>;

/** Where Node finds `name` from the package at `from` ('' = the project): the nearest node_modules/name upwards. */
function locate(installed: Installed, from: string, name: string): string | undefined {
  for (let dir = from; ; dir = dir.slice(0, Math.max(0, dir.lastIndexOf('/node_modules/')))) {
    const candidate = dir ? `${dir}/node_modules/${name}` : `node_modules/${name}`;
    if (installed[candidate]) return candidate;
    if (!dir) return undefined;
  }
}

/** The node_modules/… directories of `roots` and everything they depend on, from the hidden lockfile's packages. */
function runtimeModules(installed: Installed, roots: string[]): string[] {
  const seen = new Set<string>();
  const visit = (path: string | undefined) => {
    if (path === undefined || seen.has(path)) return;
    seen.add(path);
    const p = installed[path]!;
    // Optional dependencies for other platforms are not installed: locate() finds none.
    for (const dep of Object.keys({ ...p.dependencies, ...p.optionalDependencies, ...p.peerDependencies })) visit(locate(installed, path, dep));
  };
  for (const name of roots) visit(locate(installed, '', name));
  // A nested node_modules comes with the package holding it.
  return [...seen].filter((path) => !path.slice('node_modules/'.length).includes('/node_modules/')).sort();
}

export async function copyEntries(from: string, entries: string[], to: string): Promise<void> {
  // --parents keeps each entry's path (and the modes of its directories); -l links instead of copying.
  const link = statSync(from).dev === statSync(to).dev;
  await run('cp', [link ? '-al' : '-a', '--parents', '--', ...entries, to], { cwd: from, timeout: 120_000, maxBuffer: 1 << 20 });
}

let copy: Promise<string> | undefined;
let made: string | undefined;

function remove(): void {
  if (made) rmSync(made, { recursive: true, force: true });
  made = undefined;
  copy = undefined;
}

try {
  afterAll(remove);
} catch {
  // Imported outside a test file's collection: the exit hook below still applies.
}
process.on('exit', remove);

export function worldReadableCopy(): Promise<string> {
  copy ??= (async () => {
    await ensureBuilt();
    const dir = mkdtempSync(join(tmpdir(), 'sockeye-world-readable-'));
    made = dir;
    chmodSync(dir, 0o755);
    const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    // npm's record of what node_modules holds (written by npm ci and npm install).
    const installed = (JSON.parse(readFileSync(join(REPO_ROOT, 'node_modules', '.package-lock.json'), 'utf8')) as { packages: Installed }).packages;
    const modules = runtimeModules(installed, [...Object.keys(pkg.dependencies), 'tsx']);
    // The addon is there unless its build failed (sockeye then walks fds in JavaScript).
    const addon = existsSync(join(REPO_ROOT, 'build/Release/sockeye_fd.node')) ? ['build/Release/sockeye_fd.node'] : [];
    const entries = ['package.json', 'tsconfig.json', 'dist', 'src', 'test', ...addon, ...modules];
    await copyEntries(REPO_ROOT, entries, dir);
    return dir;
  })();
  return copy;
}
