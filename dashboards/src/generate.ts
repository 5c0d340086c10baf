// Writes dashboards/*.json from the TypeScript definitions.
// `--check` writes nothing and exits 1 when a committed file is stale.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dashboards, render } from './index.js';

const dir = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');
let stale = 0;
for (const { file, dashboard } of dashboards()) {
  const path = `${dir}${file}`;
  const text = render(dashboard);
  const current = await readFile(path, 'utf8').catch(() => undefined);
  if (current === text) continue;
  if (check) {
    process.stderr.write(`dashboards/${file} is out of date: run npm run dashboards\n`);
    stale++;
  } else {
    await writeFile(path, text);
    process.stdout.write(`wrote dashboards/${file}\n`);
  }
}
process.exitCode = stale > 0 ? 1 : 0;
