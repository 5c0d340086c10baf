// `npm run alerts`: regenerates alerts/sockeye.rules.yml from the TypeScript rules.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { rulesYaml } from './rules.js';

export const RULES_FILE = fileURLToPath(new URL('./sockeye.rules.yml', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await writeFile(RULES_FILE, rulesYaml());
  process.stdout.write(`wrote ${RULES_FILE}\n`);
}
