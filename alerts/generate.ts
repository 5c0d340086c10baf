// `npm run alerts`: regenerates alerts/sockeye.rules.yml and
// alerts/pipeline.rules.yml from the TypeScript rules.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { RULE_FILES, rulesYaml, type RuleFileName } from './rules.js';

export const ruleFilePath = (file: RuleFileName): string => fileURLToPath(new URL(`./${file}.rules.yml`, import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const file of Object.keys(RULE_FILES) as RuleFileName[]) {
    await writeFile(ruleFilePath(file), rulesYaml({ file }));
    process.stdout.write(`wrote ${ruleFilePath(file)}\n`);
  }
}
