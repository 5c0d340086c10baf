// Runs one collection of a config in this process and prints, as JSON, the
// snapshot, the /metrics text and what was logged. Used to collect as
// another user (under setpriv) and by anyone needing a snapshot from outside.
// SOCKEYE_COLLECT_SOURCE: native or text (default: chosen as sockeye chooses).
//   node --import tsx test/support/collect-json.ts '<config yaml or json>'
import { Registry } from 'prom-client';
import { parseConfig } from '../../src/config/load.js';
import { createTargetCollection, type SourceKind } from '../../src/collectors/index.js';
import { captureLogger } from './collection.js';

const config = parseConfig(process.argv[2] ?? '{}');
const registry = new Registry();
const log = captureLogger();
const kinds: SourceKind[] = ['native', 'text'];
const source = kinds.find((k) => k === process.env.SOCKEYE_COLLECT_SOURCE);
const collection = createTargetCollection(config, registry, log, { source });
const snapshot = await collection.collect();
const metrics = await registry.metrics();
await collection.close();
process.stdout.write(`${JSON.stringify({ snapshot, metrics, logs: log.lines })}\n`);
