// Preload (NODE_OPTIONS=--import=…) that records which modules a real sockeye
// process loads, for tests that assert something is NOT loaded until needed.
// ESM loads are recorded as they happen (a load hook, in Node's hooks thread);
// CommonJS modules required by other CommonJS modules never pass that hook on
// Node 20, so on SIGUSR2 the require cache is appended and a "done" line ends
// the file. Writes to $LOADED_MODULES_FILE, one URL or path per line.
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';

const file = process.env.LOADED_MODULES_FILE;
if (file) {
  register('./loaded-modules-hooks.mjs', import.meta.url, { data: { file } });
  const cache = createRequire(import.meta.url).cache;
  process.on('SIGUSR2', () => appendFileSync(file, `${Object.keys(cache).join('\n')}\ndone\n`));
}
