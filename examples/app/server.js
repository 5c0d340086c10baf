#!/usr/bin/env node
// @ts-check
// The incident lab's example app: `node examples/app/server.js`. A cluster of
// workers serving HTTP, a line service and a protocol server, with faults
// that reproduce the incidents sockeye exists for (docs/incident-lab.md),
// switched at run time:
//   curl -X POST http://127.0.0.1:8081/admin/fault/close-wait/on
// Settings: see settings.js (APP_* environment variables).
import cluster from 'node:cluster';
import { runPrimary } from './primary.js';
import { readSettings } from './settings.js';
import { runWorker } from './worker.js';

let settings;
try {
  settings = readSettings();
} catch (err) {
  process.stderr.write(`example app: ${/** @type {Error} */ (err).message}\n`);
  process.exit(2);
}
if (cluster.isPrimary) runPrimary(settings);
else runWorker(settings, Number(process.env.APP_WORKER_INDEX ?? 0));
