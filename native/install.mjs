#!/usr/bin/env node
// Builds the native fd walk (build/Release/sockeye_fd.node) with node-gyp.
// Run by `npm ci`/`npm install` (package.json "install"), `npm run
// build:native`, and before the tests with --if-stale. A failed build does not
// fail the install: sockeye then uses the text source (src/collectors/sources/
// index.ts chooses it, walking fds in JavaScript) — unless
// SOCKEYE_NATIVE_REQUIRED=1 (the image build).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const addon = join(root, 'build', 'Release', 'sockeye_fd.node');
const required = process.env.SOCKEYE_NATIVE_REQUIRED === '1';

function sources() {
  return [join(root, 'binding.gyp'), ...readdirSync(join(root, 'native')).filter((f) => /\.[ch]$/.test(f)).map((f) => join(root, 'native', f))];
}

function fresh() {
  if (!existsSync(addon)) return false;
  const built = statSync(addon).mtimeMs;
  return sources().every((f) => statSync(f).mtimeMs <= built);
}

/** npm passes its bundled node-gyp to scripts; outside npm, look next to this node's npm. */
function nodeGyp() {
  const candidates = [process.env.npm_config_node_gyp, join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  const js = candidates.find((p) => p && existsSync(p));
  return js ? [process.execPath, js] : ['node-gyp'];
}

function skip(why) {
  const msg =
    `sockeye: the native fd walk (build/Release/sockeye_fd.node) was not built: ${why}.\n` +
    'sockeye works without it, walking /proc/PID/fd in JavaScript (slower per fd). ' +
    'To build it: install python3, make and g++, then run `npm run build:native`.';
  console.warn(msg);
  process.exit(required ? 1 : 0);
}

if (process.argv.includes('--if-stale') && fresh()) process.exit(0);
if (process.platform !== 'linux') skip(`it reads /proc, which ${process.platform} does not have`);
// This node's own headers (official tarballs and images ship them) spare node-gyp a download.
const prefix = join(dirname(process.execPath), '..');
const nodedir = process.env.npm_config_nodedir || (existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined);
const [cmd, ...args] = nodeGyp();
const r = spawnSync(cmd, [...args, 'rebuild', ...(nodedir ? [`--nodedir=${nodedir}`] : [])], { cwd: root, stdio: 'inherit' });
if (r.error) skip(`node-gyp could not run (${r.error.message})`);
if (r.status !== 0) skip(`node-gyp rebuild exited with ${r.status ?? r.signal} (see its output above)`);
