#!/usr/bin/env node
// @ts-check
// Switches a fault of a running example app through its admin endpoint:
//   node fault.js close-wait on     node fault.js list
// APP_ADMIN_URL (default http://127.0.0.1:$APP_ADMIN_PORT or :8081).
import { FAULTS, FAULT_NAMES, isFault } from './faults.js';

const base = process.env.APP_ADMIN_URL || `http://127.0.0.1:${process.env.APP_ADMIN_PORT || 8081}`;
const [name, how] = process.argv.slice(2);

function usage() {
  process.stderr.write(`usage: node fault.js <fault> on|off   |   node fault.js list\nfaults:\n${FAULT_NAMES.map((n) => `  ${n.padEnd(14)} incident ${FAULTS[n].incident}: ${FAULTS[n].summary}`).join('\n')}\n`);
  process.exit(2);
}

try {
  if (name === 'list' || name === undefined) {
    if (name === undefined) usage();
    const res = await fetch(`${base}/admin/faults`);
    process.stdout.write(`${JSON.stringify(await res.json(), null, 2)}\n`);
  } else {
    if (!isFault(name) || (how !== 'on' && how !== 'off')) usage();
    const res = await fetch(`${base}/admin/fault/${name}/${how}`, { method: 'POST' });
    process.stdout.write(`${await res.text()}`);
    if (!res.ok) process.exit(1);
  }
} catch (err) {
  process.stderr.write(`fault: cannot reach the app's admin endpoint at ${base}: ${/** @type {Error} */ (err).message}\n`);
  process.exit(1);
}
