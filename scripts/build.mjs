#!/usr/bin/env node
// Compiles src/ to dist/ and records the revision it came from.
//
//   node scripts/build.mjs             always compile (npm run build)
//   node scripts/build.mjs --if-stale  compile only when an input changed since
//                                      the last good build (npm start's prestart)
//
// "Changed" is a hash of every input's path, size and mtime, so an edited,
// added or deleted file under src/ (or a tsconfig, or the lockfile that pins
// the compiler) triggers a build, and nothing else does. Checking costs a
// few milliseconds; compiling costs seconds, which a restarting sidecar on a
// loaded node should not pay for nothing.
// Plain JavaScript: it runs before anything is compiled, on a fresh clone.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const STAMP = join(DIST, '.build-stamp');
const INPUT_FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json'];

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** The fingerprint of everything the compiled output depends on. */
function inputsHash() {
  const hash = createHash('sha256');
  for (const file of [...walk(join(ROOT, 'src'), []).sort(), ...INPUT_FILES.map((f) => join(ROOT, f))]) {
    let st;
    try {
      st = statSync(file);
    } catch {
      hash.update(`${file}\0missing\n`);
      continue;
    }
    hash.update(`${file}\0${st.size}\0${st.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

function exists(file) {
  try {
    statSync(file);
    return true;
  } catch {
    return false;
  }
}

/** The commit being built: SOCKEYE_REVISION (an image build has no .git), else git's HEAD, else "unknown". */
function revision() {
  if (process.env.SOCKEYE_REVISION) return process.env.SOCKEYE_REVISION;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return 'unknown';
  }
}

function readOr(file, fallback) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

const ifStale = process.argv.includes('--if-stale');
const before = inputsHash();
const rev = revision();
if (ifStale && readOr(STAMP, '') === before && exists(join(DIST, 'main.js'))) {
  // Sources unchanged; only a new commit of the same sources to record.
  if (readOr(join(DIST, 'REVISION'), '').trim() !== rev) writeFileSync(join(DIST, 'REVISION'), `${rev}\n`);
  process.exit(0);
}
const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
mkdirSync(DIST, { recursive: true });
writeFileSync(join(DIST, 'REVISION'), `${rev}\n`);
// A failed compile leaves no stamp: the next start tries again. The inputs as
// they were before compiling: a file edited meanwhile makes the next start build.
if (tsc.status === 0) writeFileSync(STAMP, before);
process.exit(tsc.status ?? 1);
