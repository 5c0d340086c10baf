// `npm run alerts`: regenerates alerts/sockeye.rules.yml,
// alerts/pipeline.rules.yml and alerts/kube.rules.yml from the TypeScript rules.
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { RECORDING_FILES, RULE_FILES, recordingRulesYaml, rulesYaml, type RecordingFileName, type RuleFileName } from './rules.js';

export const ruleFilePath = (file: RuleFileName | RecordingFileName): string => fileURLToPath(new URL(`./${file}.rules.yml`, import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const file of Object.keys(RULE_FILES) as RuleFileName[]) {
    await writeFile(ruleFilePath(file), rulesYaml({ file }));
    process.stdout.write(`wrote ${ruleFilePath(file)}\n`);
  }
  for (const file of Object.keys(RECORDING_FILES) as RecordingFileName[]) {
    await writeFile(ruleFilePath(file), recordingRulesYaml(file));
    process.stdout.write(`wrote ${ruleFilePath(file)}\n`);
  }
}
